import { ConnectionRegistry, type CloseReason, type LiveConnection } from './connection-registry';

function connection(log: string[], name: string): LiveConnection {
  return { close: (reason: CloseReason) => log.push(`${name}:${reason}`) };
}

describe('ConnectionRegistry', () => {
  it('closes every connection of one forward and no other', () => {
    const registry = new ConnectionRegistry();
    const log: string[] = [];
    registry.track('pf_a', connection(log, 'a1'));
    registry.track('pf_a', connection(log, 'a2'));
    registry.track('pf_b', connection(log, 'b1'));
    expect(registry.closeForward('pf_a', 'forward_removed')).toBe(2);
    expect(log).toEqual(['a1:forward_removed', 'a2:forward_removed']);
    expect(registry.count()).toBe(1);
  });

  it('forgets a connection that ended by itself', () => {
    const registry = new ConnectionRegistry();
    const log: string[] = [];
    const untrack = registry.track('pf_a', connection(log, 'a1'));
    untrack();
    untrack();
    expect(registry.closeForward('pf_a', 'forward_removed')).toBe(0);
    expect(log).toEqual([]);
  });

  it('closes everything on shutdown', () => {
    const registry = new ConnectionRegistry();
    const log: string[] = [];
    registry.track('pf_a', connection(log, 'a1'));
    registry.track('pf_b', connection(log, 'b1'));
    expect(registry.closeAll('shutdown')).toBe(2);
    expect(log.sort()).toEqual(['a1:shutdown', 'b1:shutdown']);
    expect(registry.count()).toBe(0);
  });
});
