import { HOLD_BACKPRESSURE, HOLD_THROTTLE, Pacer } from './pacer';
import { PauseGate, unthrottled, type Pausable } from './pause-gate';
import { TokenBucket } from './token-bucket';

const KiB = 1024;
const MiB = 1024 * KiB;
const RATE = 2 * MiB;

interface Rig {
  readonly pacer: Pacer;
  readonly gate: PauseGate;
  /** Bytes given to the sink, with the fake time they were given at. */
  readonly written: { at: number; bytes: Buffer }[];
  /** Source pause/resume calls, in order. */
  readonly source: string[];
  setFull(full: boolean): void;
}

// Fake timers drive both the Pacer's waits and the bucket's clock (Date.now is faked too).
function rig(throttle = new TokenBucket({ bytesPerSecond: RATE, now: () => Date.now() })): Rig {
  const source: string[] = [];
  const pausable: Pausable = { pause: () => source.push('pause'), resume: () => source.push('resume') };
  const gate = new PauseGate(pausable);
  const written: { at: number; bytes: Buffer }[] = [];
  let full = false;
  const pacer = new Pacer(gate, throttle, (bytes) => {
    written.push({ at: Date.now(), bytes });
    return !full;
  });
  return { pacer, gate, written, source, setFull: (value) => (full = value) };
}

const total = (r: Rig, until = Number.POSITIVE_INFINITY) =>
  r.written.filter((w) => w.at <= until).reduce((sum, w) => sum + w.bytes.length, 0);

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

describe('Pacer', () => {
  it('passes chunks whole and never holds the source when unthrottled', () => {
    const r = rig(unthrottled as TokenBucket);
    r.pacer.push(Buffer.alloc(MiB));
    expect(r.written.map((w) => w.bytes.length)).toEqual([MiB]);
    expect(r.source).toEqual([]);
  });

  it('cuts one 1 MiB message into 16 KiB slices and paces them: at most burst + rate × t by any time t', () => {
    const r = rig();
    const start = Date.now();
    const message = Buffer.alloc(MiB, 7);
    r.pacer.push(message);
    // The burst (0.2 s worth, 400 KiB) goes at once; the rest waits, and so does the source.
    expect(total(r)).toBeLessThanOrEqual(RATE * 0.2 + 16 * KiB);
    expect(r.gate.isHeld(HOLD_THROTTLE)).toBe(true);
    for (let t = 50; t <= 400; t += 50) {
      jest.advanceTimersByTime(50);
      expect(total(r, start + t)).toBeLessThanOrEqual(RATE * 0.2 + (RATE * t) / 1000 + 16 * KiB);
    }
    jest.advanceTimersByTime(1000);
    expect(total(r)).toBe(MiB);
    expect(Math.max(...r.written.map((w) => w.bytes.length))).toBe(16 * KiB);
    expect(Buffer.concat(r.written.map((w) => w.bytes)).equals(message)).toBe(true);
    // The last slice passed ~300 ms after the start: (1 MiB - 400 KiB) / 2 MiB/s.
    const last = (r.written.at(-1)?.at ?? 0) - start;
    expect(last).toBeGreaterThanOrEqual(290);
    expect(last).toBeLessThanOrEqual(320);
    expect(r.gate.isHeld()).toBe(false);
    expect(r.source).toEqual(['pause', 'resume']);
  });

  it('holds the source while the sink is full, keeps order, and goes on when it drains', () => {
    const r = rig(unthrottled as TokenBucket);
    r.setFull(true);
    r.pacer.push(Buffer.from('one '));
    expect(r.gate.isHeld(HOLD_BACKPRESSURE)).toBe(true);
    r.pacer.push(Buffer.from('two ')); // delivered by the source after it was told to pause
    expect(Buffer.concat(r.written.map((w) => w.bytes)).toString()).toBe('one ');
    r.setFull(false);
    r.pacer.drained();
    r.pacer.push(Buffer.from('three'));
    expect(Buffer.concat(r.written.map((w) => w.bytes)).toString()).toBe('one two three');
    expect(r.gate.isHeld()).toBe(false);
  });

  it('flushes after the bytes already pushed, and not before', () => {
    const r = rig();
    r.pacer.push(Buffer.alloc(MiB));
    const flushed: number[] = [];
    r.pacer.flush(() => flushed.push(total(r)));
    expect(flushed).toEqual([]);
    jest.advanceTimersByTime(2000);
    expect(flushed).toEqual([MiB]);
  });

  it('stop drops what waits, lets the source go, and a later flush completes at once', () => {
    const r = rig();
    r.pacer.push(Buffer.alloc(MiB));
    r.pacer.stop();
    expect(r.pacer.queuedBytes).toBe(0);
    expect(r.gate.isHeld()).toBe(false);
    jest.advanceTimersByTime(2000);
    expect(total(r)).toBeLessThan(MiB);
    const done = jest.fn();
    r.pacer.flush(done);
    expect(done).toHaveBeenCalled();
  });
});
