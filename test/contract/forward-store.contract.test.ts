// The store contract against both stores, and what only a file-backed store can show:
// forwards surviving a reopen, and the rules holding between two connections (two
// processes sharing the data directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemoryForwardStore } from '../../packages/core/src/index';
import { SqliteForwardStore } from '../../packages/adapters-sqlite/src/index';
import { describeForwardStoreContract, forwardOf } from './forward-store-contract';

describeForwardStoreContract('in memory', async () => ({ store: new InMemoryForwardStore(), close: async () => undefined }));
describeForwardStoreContract('SQLite, :memory:', async () => {
  const store = new SqliteForwardStore(':memory:');
  return { store, close: async () => store.close() };
});
describeForwardStoreContract('SQLite, a file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'porthole-store-'));
  const store = new SqliteForwardStore(path.join(dir, 'porthole.db'));
  return {
    store,
    close: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteForwardStore on a file', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'porthole-store-'));
    file = path.join(dir, 'porthole.db');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back after a reopen every forward it acknowledged, in order', async () => {
    const first = new SqliteForwardStore(file);
    const forwards = [forwardOf('c1', 1, { name: 'one' }), forwardOf('c2', 2), forwardOf('c1', 3)];
    for (const forward of forwards) expect(await first.insert(forward, 10)).toEqual({ ok: true });
    await first.remove(forwards[1]!.id);
    first.close();
    const second = new SqliteForwardStore(file);
    expect(await second.listAll()).toEqual([forwards[0], forwards[2]]);
    second.close();
  });

  it('holds the cap and the duplicate rule between two connections to one file', async () => {
    const a = new SqliteForwardStore(file);
    const b = new SqliteForwardStore(file);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).insert(forwardOf('shared', 2000 + (i % 15)), 10)),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
    expect(await b.insert(forwardOf('shared', 2000), 10)).toMatchObject({ ok: false });
    const ports = (await a.listByContainer('shared')).map((f) => f.containerPort);
    expect(new Set(ports).size).toBe(10);
    a.close();
    b.close();
  });
});
