/**
 * What every ForwardStore owes the core: the per-container rules held atomically, order,
 * lookups and removal. Run against the in-memory store and SQLite, so the store the
 * tests use cannot drift from the one production uses.
 */
import type { ForwardId, ForwardStore, PortForward, PortNumber } from '../../packages/core/src/index';

let sequence = 0;

export function forwardOf(containerId: string, containerPort: number, extra: Partial<PortForward> = {}): PortForward {
  sequence += 1;
  return {
    id: `pf_${String(sequence).padStart(24, '0')}` as ForwardId,
    containerId,
    containerPort: containerPort as PortNumber,
    localPort: (20000 + (sequence % 9000)) as PortNumber,
    name: null,
    customDomain: null,
    owner: null,
    incarnation: 'life-1',
    createdAt: new Date(1_800_000_000_000 + sequence),
    ...extra,
  };
}

export function describeForwardStoreContract(name: string, open: () => Promise<{ store: ForwardStore; close(): Promise<void> }>): void {
  describe(`ForwardStore contract: ${name}`, () => {
    let store: ForwardStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });

    afterEach(async () => {
      await close();
    });

    it('stores every field and gives it back as it was', async () => {
      const forward = forwardOf('c1', 8080, { name: 'Web – ü 🚀', owner: 'alice', incarnation: '2026-12-03T12:00:00Z|net@x' });
      expect(await store.insert(forward, 10)).toEqual({ ok: true });
      expect(await store.get(forward.id)).toEqual(forward);
      expect(await store.get('pf_nope' as ForwardId)).toBeUndefined();
    });

    it('lists oldest first, per container and in all', async () => {
      const a = forwardOf('c1', 1);
      const b = forwardOf('c2', 2);
      const c = forwardOf('c1', 3);
      for (const forward of [a, b, c]) await store.insert(forward, 10);
      expect((await store.listByContainer('c1')).map((f) => f.id)).toEqual([a.id, c.id]);
      expect((await store.listAll()).map((f) => f.id)).toEqual([a.id, b.id, c.id]);
      expect(await store.listByContainer('none')).toEqual([]);
    });

    it.each([
      ['the same container port twice', [forwardOf('c1', 80)], forwardOf('c1', 80), 10, 'duplicate_port'],
      ['past the cap', [forwardOf('c1', 1), forwardOf('c1', 2)], forwardOf('c1', 3), 2, 'limit_reached'],
    ])('refuses %s', async (_name, existing, next, max, reason) => {
      for (const forward of existing) await store.insert(forward, max);
      expect(await store.insert(next, max)).toEqual({ ok: false, reason });
      expect(await store.listByContainer('c1')).toHaveLength(existing.length);
    });

    it('lets the same port be forwarded on another container, and again once removed', async () => {
      const first = forwardOf('c1', 80);
      await store.insert(first, 10);
      expect(await store.insert(forwardOf('c2', 80), 10)).toEqual({ ok: true });
      expect(await store.remove(first.id)).toEqual(first);
      expect(await store.remove(first.id)).toBeUndefined();
      expect(await store.insert(forwardOf('c1', 80), 10)).toEqual({ ok: true });
    });

    it('keeps a custom domain to one forward, on insert and on update, and frees it with the forward', async () => {
      const first = forwardOf('c1', 80, { customDomain: 'app.example.com' });
      expect(await store.insert(first, 10)).toEqual({ ok: true });
      expect(await store.insert(forwardOf('c2', 80, { customDomain: 'app.example.com' }), 10)).toEqual({ ok: false, reason: 'domain_taken' });
      const second = forwardOf('c2', 81);
      await store.insert(second, 10);
      expect(await store.setCustomDomain(second.id, 'app.example.com')).toEqual({ ok: false, reason: 'domain_taken' });
      // Setting a forward's own domain again is no clash.
      expect(await store.setCustomDomain(first.id, 'app.example.com')).toEqual({ ok: true, forward: first });
      expect(await store.setCustomDomain('pf_gone00000000000000000000' as ForwardId, 'x.example.com')).toEqual({ ok: false, reason: 'not_found' });
      await store.remove(first.id);
      expect(await store.setCustomDomain(second.id, 'app.example.com')).toEqual({ ok: true, forward: { ...second, customDomain: 'app.example.com' } });
      expect((await store.get(second.id))?.customDomain).toBe('app.example.com');
      // Many forwards without one never clash.
      expect(await store.setCustomDomain(second.id, null)).toEqual({ ok: true, forward: second });
      expect(await store.insert(forwardOf('c3', 1), 10)).toEqual({ ok: true });
      expect(await store.insert(forwardOf('c3', 2), 10)).toEqual({ ok: true });
    });

    it('gives a custom domain to exactly one of 20 concurrent claims', async () => {
      const forwards = Array.from({ length: 20 }, (_, i) => forwardOf(`claim${i}`, 80));
      for (const forward of forwards) await store.insert(forward, 10);
      const outcomes = await Promise.all(forwards.map((forward) => store.setCustomDomain(forward.id, 'race.example.com')));
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    });

    it('holds the rules under 30 concurrent inserts of 15 ports: exactly 10, no duplicates', async () => {
      const attempts = Array.from({ length: 30 }, (_, i) => store.insert(forwardOf('busy', 1000 + (i % 15)), 10));
      const outcomes = await Promise.all(attempts);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
      const ports = (await store.listByContainer('busy')).map((f) => f.containerPort);
      expect(new Set(ports).size).toBe(10);
    });
  });
}
