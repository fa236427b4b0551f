import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { InMemoryForwardStore, type ForwardStore } from '@porthole/core';
import { SqliteForwardStore } from '@porthole/adapters-sqlite';
import { StartupError } from './runtime-selection';

export const IN_MEMORY = ':memory:';
export const DATABASE_FILE = 'porthole.db';

export interface OpenedStore {
  readonly store: ForwardStore;
  /** Where the forwards live, for the start-up log: a file path, or `:memory:`. */
  readonly location: string;
  close(): void;
}

/**
 * `mkdir -p`, one level at a time: Node's own `{ recursive: true }` loops forever where
 * creating a directory fails with ENOENT although its parent exists (under /proc).
 */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeDirectory(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * The forward store of PORTHOLE_DATA_DIR: `<dir>/porthole.db` (the directory is created
 * if missing; the schema is brought up to date), or process memory for `:memory:`.
 * A directory or file Porthole cannot use stops start-up with a StartupError saying which.
 */
export function openForwardStore(dataDir: string): OpenedStore {
  if (dataDir === IN_MEMORY) return { store: new InMemoryForwardStore(), location: IN_MEMORY, close: () => undefined };
  const file = path.resolve(dataDir, DATABASE_FILE);
  try {
    makeDirectory(path.dirname(file));
  } catch (error) {
    throw new StartupError(`PORTHOLE_DATA_DIR: cannot create ${path.dirname(file)}: ${(error as Error).message}`);
  }
  let store: SqliteForwardStore;
  try {
    store = new SqliteForwardStore(file);
  } catch (error) {
    throw new StartupError(`PORTHOLE_DATA_DIR: cannot open the database ${file}: ${(error as Error).message}`);
  }
  return { store, location: file, close: () => store.close() };
}
