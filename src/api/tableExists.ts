import type { Db } from '../db/openDatabase';

/** True when the table exists (the deliveries table arrives with a later migration). */
export function tableExists(db: Db, name: string): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name);
}
