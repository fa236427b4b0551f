import type { Database } from 'better-sqlite3';

/**
 * The schema, as numbered steps. A database remembers the steps it has taken
 * (`schema_migrations`); start-up takes the missing ones in order, each in a transaction.
 * Steps are never edited once released: a change is a new step.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE forwards (
        -- Creation order, for "oldest first"; never reused.
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        container_id TEXT NOT NULL,
        container_port INTEGER NOT NULL CHECK (container_port BETWEEN 1 AND 65535),
        local_port INTEGER NOT NULL CHECK (local_port BETWEEN 1 AND 65535),
        name TEXT,
        owner TEXT,
        incarnation TEXT NOT NULL,
        created_at TEXT NOT NULL,
        -- The duplicate rule, held by the database itself across processes.
        UNIQUE (container_id, container_port)
      );
      CREATE INDEX forwards_by_container ON forwards (container_id, seq);
    `,
  },
  {
    version: 2,
    sql: `
      -- A host name the forward also answers on; one forward per name, held by the
      -- database (NULLs do not collide in a UNIQUE index).
      ALTER TABLE forwards ADD COLUMN custom_domain TEXT;
      CREATE UNIQUE INDEX forwards_by_custom_domain ON forwards (custom_domain);
    `,
  },
];

/** Takes the steps the database has not taken yet; returns the version it is at. */
export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  if (newest > known) {
    throw new Error(`the database is at schema version ${newest}, newer than this Porthole knows (${known}): run a newer Porthole`);
  }
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, new Date().toISOString());
    }).immediate();
  }
  return known;
}
