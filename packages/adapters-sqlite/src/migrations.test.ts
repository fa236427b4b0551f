import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from './migrations';

describe('migrate', () => {
  it('takes every step on a new database, once, and records each', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)?.version);
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)?.version);
    const versions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'forwards'").get()).toBeDefined();
  });

  it('refuses a database from a newer Porthole rather than guess at its schema', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, ?)').run(new Date().toISOString());
    expect(() => migrate(db)).toThrow(/schema version 99, newer than this Porthole knows/);
  });

  it('keeps the duplicate rule in the schema itself (a unique index)', () => {
    const db = new Database(':memory:');
    migrate(db);
    const insert = db.prepare(
      "INSERT INTO forwards (id, container_id, container_port, local_port, incarnation, created_at) VALUES (?, 'c', 80, 20000, 'l', 'now')",
    );
    insert.run('pf_a');
    expect(() => insert.run('pf_b')).toThrow(/UNIQUE constraint failed/);
  });

  it('brings a version 1 database up to date, its forwards kept, without a custom domain', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare("INSERT INTO schema_migrations VALUES (1, 'then')").run();
    db.prepare("INSERT INTO forwards (id, container_id, container_port, local_port, incarnation, created_at) VALUES ('pf_old', 'c', 80, 20000, 'l', 'then')").run();
    migrate(db);
    expect(db.prepare('SELECT id, custom_domain FROM forwards').all()).toEqual([{ id: 'pf_old', custom_domain: null }]);
    const setDomain = db.prepare("UPDATE forwards SET custom_domain = 'app.example.com' WHERE id = ?");
    setDomain.run('pf_old');
    db.prepare("INSERT INTO forwards (id, container_id, container_port, local_port, incarnation, created_at) VALUES ('pf_new', 'c', 81, 20001, 'l', 'now')").run();
    expect(() => setDomain.run('pf_new')).toThrow(/UNIQUE constraint failed: forwards.custom_domain/);
  });
});
