import { PauseGate, unthrottled, type Pausable } from './pause-gate';

function recorder(): Pausable & { log: string[] } {
  const log: string[] = [];
  return { log, pause: () => log.push('pause'), resume: () => log.push('resume') };
}

describe('PauseGate', () => {
  it.each<[string, (gate: PauseGate) => void, string[], boolean]>([
    ['one reason held then released', (g) => (g.hold('a'), g.release('a')), ['pause', 'resume'], false],
    ['the same reason held twice: one pause', (g) => (g.hold('a'), g.hold('a')), ['pause'], true],
    ['two reasons: resumes only when both are released', (g) => (g.hold('a'), g.hold('b'), g.release('a')), ['pause'], true],
    ['two reasons, both released', (g) => (g.hold('a'), g.hold('b'), g.release('b'), g.release('a')), ['pause', 'resume'], false],
    ['releasing what was never held does nothing', (g) => g.release('a'), [], false],
  ])('%s', (_description, act, calls, held) => {
    const source = recorder();
    const gate = new PauseGate(source);
    act(gate);
    expect(source.log).toEqual(calls);
    expect(gate.isHeld()).toBe(held);
  });

  it('unthrottled never asks to wait', () => {
    expect(unthrottled.delayAfter(10 * 1024 * 1024)).toBe(0);
  });
});
