import Database from 'better-sqlite3';
import type { ForwardId, ForwardStore, InsertOutcome, PortForward, PortNumber } from '@porthole/core';
import { migrate } from './migrations';

interface ForwardRow {
  readonly id: string;
  readonly container_id: string;
  readonly container_port: number;
  readonly local_port: number;
  readonly name: string | null;
  readonly owner: string | null;
  readonly incarnation: string;
  readonly created_at: string;
}

function toForward(row: ForwardRow): PortForward {
  return {
    id: row.id as ForwardId,
    containerId: row.container_id,
    containerPort: row.container_port as PortNumber,
    localPort: row.local_port as PortNumber,
    name: row.name,
    owner: row.owner,
    incarnation: row.incarnation,
    createdAt: new Date(row.created_at),
  };
}

const COLUMNS = 'id, container_id, container_port, local_port, name, owner, incarnation, created_at';

/**
 * Forwards in a SQLite file (or `:memory:`). The per-container rules are checked and the
 * row written in one IMMEDIATE transaction, and the duplicate rule is also a unique
 * index: they hold when several processes share the file. Commits are synchronous and
 * fully synced (WAL, synchronous=FULL): a forward that was acknowledged survives a crash.
 */
export class SqliteForwardStore implements ForwardStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly insertChecked: (forward: PortForward, max: number) => InsertOutcome;

  /** Opens (creating if needed) the database and brings its schema up to date. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // Another process holding the write lock makes us wait, not fail.
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.statements = {
      countByContainer: this.db.prepare('SELECT COUNT(*) AS n FROM forwards WHERE container_id = ?'),
      hasPort: this.db.prepare('SELECT 1 FROM forwards WHERE container_id = ? AND container_port = ?'),
      insert: this.db.prepare(
        `INSERT INTO forwards (${COLUMNS}) VALUES (@id, @container_id, @container_port, @local_port, @name, @owner, @incarnation, @created_at)`,
      ),
      get: this.db.prepare(`SELECT ${COLUMNS} FROM forwards WHERE id = ?`),
      byContainer: this.db.prepare(`SELECT ${COLUMNS} FROM forwards WHERE container_id = ? ORDER BY seq`),
      all: this.db.prepare(`SELECT ${COLUMNS} FROM forwards ORDER BY seq`),
      remove: this.db.prepare('DELETE FROM forwards WHERE id = ?'),
    };
    const check = this.db.transaction((forward: PortForward, max: number): InsertOutcome => {
      if (this.statements.hasPort.get(forward.containerId, forward.containerPort) !== undefined) {
        return { ok: false, reason: 'duplicate_port' };
      }
      const { n } = this.statements.countByContainer.get(forward.containerId) as { n: number };
      if (n >= max) return { ok: false, reason: 'limit_reached' };
      this.statements.insert.run({
        id: forward.id,
        container_id: forward.containerId,
        container_port: forward.containerPort,
        local_port: forward.localPort,
        name: forward.name,
        owner: forward.owner,
        incarnation: forward.incarnation,
        created_at: forward.createdAt.toISOString(),
      });
      return { ok: true };
    });
    // IMMEDIATE: the write lock is taken before the checks, so no other process can slip
    // a row in between the count and the insert.
    this.insertChecked = (forward, max) => check.immediate(forward, max);
  }

  async insert(forward: PortForward, maxPerContainer: number): Promise<InsertOutcome> {
    try {
      return this.insertChecked(forward, maxPerContainer);
    } catch (error) {
      // The unique index, should a writer outside these rules have raced us.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return { ok: false, reason: 'duplicate_port' };
      throw error;
    }
  }

  async get(id: ForwardId): Promise<PortForward | undefined> {
    const row = this.statements.get.get(id) as ForwardRow | undefined;
    return row === undefined ? undefined : toForward(row);
  }

  async listByContainer(containerId: string): Promise<readonly PortForward[]> {
    return (this.statements.byContainer.all(containerId) as ForwardRow[]).map(toForward);
  }

  async listAll(): Promise<readonly PortForward[]> {
    return (this.statements.all.all() as ForwardRow[]).map(toForward);
  }

  async remove(id: ForwardId): Promise<PortForward | undefined> {
    const removed = this.db.transaction((): ForwardRow | undefined => {
      const row = this.statements.get.get(id) as ForwardRow | undefined;
      if (row !== undefined) this.statements.remove.run(id);
      return row;
    }).immediate();
    return removed === undefined ? undefined : toForward(removed);
  }

  close(): void {
    this.db.close();
  }
}
