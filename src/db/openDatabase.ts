import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Where the migrations live: `migrations/` at the package root (one level above src/ or dist/). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

/** The database file of a data directory. */
export function databasePath(dataDir: string): string {
  return path.join(dataDir, 'pacs-ai-node.sqlite');
}

/**
 * Opens (creating when needed) the SQLite database with WAL, foreign keys and a busy timeout,
 * then applies every migration not yet applied, in order, each in its own transaction.
 */
export function openDatabase(file: string, opts: { migrationsDir?: string; readonly?: boolean } = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) applyMigrations(db, opts.migrationsDir ?? MIGRATIONS_DIR);
  return db;
}

/** Applies `NNNN_name.sql` files in name order that are not recorded in schema_migrations. Forward-only. */
export function applyMigrations(db: Db, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: string }>).map(
      (r) => r.version,
    ),
  );
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const done: string[] = [];
  for (const f of files) {
    if (applied.has(f)) continue;
    const sql = fs.readFileSync(path.join(dir, f), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        f,
        new Date().toISOString(),
      );
    })();
    done.push(f);
  }
  return done;
}
