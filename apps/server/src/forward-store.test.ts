import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemoryForwardStore, type ForwardId, type PortForward, type PortNumber } from '@porthole/core';
import { SqliteForwardStore } from '@porthole/adapters-sqlite';
import { openForwardStore } from './forward-store';
import { StartupError } from './runtime-selection';

const forward: PortForward = {
  id: 'pf_0123456789abcdefghijklmn' as ForwardId,
  containerId: 'c0ffee',
  containerPort: 8080 as PortNumber,
  localPort: 20000 as PortNumber,
  name: null,
  customDomain: null,
  owner: null,
  incarnation: 'life-1',
  createdAt: new Date('2026-12-03T00:00:00Z'),
};

describe('openForwardStore (PORTHOLE_DATA_DIR)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'porthole-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps forwards in process memory for :memory:', () => {
    const opened = openForwardStore(':memory:');
    expect(opened.store).toBeInstanceOf(InMemoryForwardStore);
    expect(opened.location).toBe(':memory:');
  });

  it('creates the directory and porthole.db in it, and finds the forwards there again', async () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const first = openForwardStore(dataDir);
    expect(first.store).toBeInstanceOf(SqliteForwardStore);
    expect(first.location).toBe(path.join(dataDir, 'porthole.db'));
    await first.store.insert(forward, 10);
    first.close();
    const again = openForwardStore(dataDir);
    expect(await again.store.listAll()).toEqual([forward]);
    again.close();
  });

  it.each([
    ['a directory under a file', (d: string) => { writeFileSync(path.join(d, 'file'), ''); return path.join(d, 'file', 'data'); }, /^PORTHOLE_DATA_DIR: cannot create .*\/file\/data: ENOTDIR/],
    // Node's own recursive mkdir never returns there.
    ['a directory where none can be made although its parent exists (/proc)', () => '/proc/porthole-data', /^PORTHOLE_DATA_DIR: cannot create \/proc\/porthole-data: ENOENT/],
    ['a database that is not one', (d: string) => { writeFileSync(path.join(d, 'porthole.db'), 'not a database, just text '.repeat(100)); return d; }, /^PORTHOLE_DATA_DIR: cannot open the database .*porthole\.db: file is not a database/],
  ])('stops start-up with one clear line for %s', (_description, prepare, message) => {
    const dataDir = prepare(dir);
    expect(() => openForwardStore(dataDir)).toThrow(StartupError);
    expect(() => openForwardStore(dataDir)).toThrow(message);
  });
});
