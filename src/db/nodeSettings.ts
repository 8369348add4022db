import type { Db } from './openDatabase';

/**
 * Returns the installation's value for `key`, creating it with `make()` the first time
 * (node_settings, migration 0004). Used for identities that must never change, such as the
 * Device Observer UID of the results (TID 1004).
 */
export function nodeSetting(db: Db, key: string, make: () => string, nowIso: string): string {
  return db.transaction(() => {
    const row = db.prepare('SELECT value FROM node_settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    if (row) return row.value;
    const value = make();
    db.prepare('INSERT INTO node_settings (key, value, created_at) VALUES (?, ?, ?)').run(key, value, nowIso);
    return value;
  })();
}
