import Database from 'better-sqlite3';
import type { DomainUpdateOutcome, ForwardId, ForwardStore, InsertOutcome, PortForward, PortNumber } from '@porthole/core';
import { migrate } from './migrations';

interface ForwardRow {
  readonly id: string;
  readonly container_id: string;
  readonly container_port: number;
  readonly local_port: number;
  readonly name: string | null;
  readonly custom_domain: string | null;
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
    customDomain: row.custom_domain,
    owner: row.owner,
    incarnation: row.incarnation,
    createdAt: new Date(row.created_at),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Which unique index a writer outside these rules made us hit (SQLite names the columns). */
function uniqueViolated(error: unknown): 'duplicate_port' | 'domain_taken' {
  return String((error as Error).message).includes('custom_domain') ? 'domain_taken' : 'duplicate_port';
}

const COLUMNS = 'id, container_id, container_port, local_port, name, custom_domain, owner, incarnation, created_at';

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
  private readonly setDomainChecked: (id: ForwardId, domain: string | null) => DomainUpdateOutcome;

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
      domainOwner: this.db.prepare('SELECT id FROM forwards WHERE custom_domain = ?'),
      setDomain: this.db.prepare('UPDATE forwards SET custom_domain = ? WHERE id = ?'),
      insert: this.db.prepare(
        `INSERT INTO forwards (${COLUMNS}) VALUES (@id, @container_id, @container_port, @local_port, @name, @custom_domain, @owner, @incarnation, @created_at)`,
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
      if (forward.customDomain !== null && this.statements.domainOwner.get(forward.customDomain) !== undefined) {
        return { ok: false, reason: 'domain_taken' };
      }
      this.statements.insert.run({
        id: forward.id,
        container_id: forward.containerId,
        container_port: forward.containerPort,
        local_port: forward.localPort,
        name: forward.name,
        custom_domain: forward.customDomain,
        owner: forward.owner,
        incarnation: forward.incarnation,
        created_at: forward.createdAt.toISOString(),
      });
      return { ok: true };
    });
    // IMMEDIATE: the write lock is taken before the checks, so no other process can slip
    // a row in between the count and the insert.
    this.insertChecked = (forward, max) => check.immediate(forward, max);
    const setDomain = this.db.transaction((id: ForwardId, domain: string | null): DomainUpdateOutcome => {
      const row = this.statements.get.get(id) as ForwardRow | undefined;
      if (row === undefined) return { ok: false, reason: 'not_found' };
      const holder = domain === null ? undefined : (this.statements.domainOwner.get(domain) as { id: string } | undefined);
      if (holder !== undefined && holder.id !== id) return { ok: false, reason: 'domain_taken' };
      this.statements.setDomain.run(domain, id);
      return { ok: true, forward: toForward({ ...row, custom_domain: domain }) };
    });
    this.setDomainChecked = (id, domain) => setDomain.immediate(id, domain);
  }

  async insert(forward: PortForward, maxPerContainer: number): Promise<InsertOutcome> {
    try {
      return this.insertChecked(forward, maxPerContainer);
    } catch (error) {
      // The unique index, should a writer outside these rules have raced us.
      if (isUniqueViolation(error)) return { ok: false, reason: uniqueViolated(error) };
      throw error;
    }
  }

  async setCustomDomain(id: ForwardId, domain: string | null): Promise<DomainUpdateOutcome> {
    try {
      return this.setDomainChecked(id, domain);
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'domain_taken' };
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
