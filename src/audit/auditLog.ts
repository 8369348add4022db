import crypto from 'node:crypto';
import type { Db } from '../db/openDatabase';
import type { AuditEventInput, AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';

/** The hash before the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRow {
  seq: number;
  at: string;
  event: string;
  actor: string;
  correlation_id: string | null;
  subject: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted, so a row's content always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

/** hash = sha256(prev_hash + canonical content of the row, sequence number included). */
export function rowHash(prevHash: string, r: Omit<AuditRow, 'hash' | 'prev_hash'>): string {
  const content = canonicalJson({
    seq: r.seq,
    at: r.at,
    event: r.event,
    actor: r.actor,
    correlationId: r.correlation_id,
    subject: r.subject,
    detail: r.detail,
  });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * The append-only, hash-chained audit trail (PRODUCT.md 7). `record` is synchronous and joins
 * the caller's transaction when there is one.
 */
export class AuditLog implements AuditSink {
  private readonly insert;
  private readonly last;
  /** Prepared once: one row in its own transaction, or a savepoint inside the caller's. */
  private readonly append;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO audit_events (seq, at, event, actor, correlation_id, subject, detail, prev_hash, hash)
       VALUES (@seq, @at, @event, @actor, @correlation_id, @subject, @detail, @prev_hash, @hash)`,
    );
    this.last = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    this.append = db.transaction((e: AuditEventInput) => {
      const prev = this.last.get() as { seq: number; hash: string } | undefined;
      const row = {
        seq: (prev?.seq ?? 0) + 1,
        at: new Date(this.clock.now()).toISOString(),
        event: e.event,
        actor: e.actor ?? 'node',
        correlation_id: e.correlationId ?? null,
        subject: e.subject ?? null,
        detail: canonicalJson(e.detail ?? {}),
      };
      const prevHash = prev?.hash ?? GENESIS_HASH;
      this.insert.run({ ...row, prev_hash: prevHash, hash: rowHash(prevHash, row) });
    });
  }

  record(e: AuditEventInput): void {
    this.append(e);
  }
}

export interface ChainVerification {
  ok: boolean;
  rows: number;
  /** The first row whose content, link or sequence does not verify. */
  firstBadSeq: number | null;
  problem: string | null;
}

/** Walks the chain from the first row; reports the first edited, inserted or removed row. */
export function verifyAuditChain(db: Db): ChainVerification {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let rows = 0;
  for (const r of db
    .prepare('SELECT * FROM audit_events ORDER BY seq')
    .iterate() as IterableIterator<AuditRow>) {
    rows++;
    if (r.seq !== expectedSeq) {
      return {
        ok: false,
        rows,
        firstBadSeq: expectedSeq,
        problem: `row ${expectedSeq} is missing (next row is ${r.seq})`,
      };
    }
    if (r.prev_hash !== prevHash) {
      return {
        ok: false,
        rows,
        firstBadSeq: r.seq,
        problem: `row ${r.seq} does not link to the hash of row ${r.seq - 1}`,
      };
    }
    if (rowHash(prevHash, r) !== r.hash) {
      return {
        ok: false,
        rows,
        firstBadSeq: r.seq,
        problem: `row ${r.seq} (${r.event}) was altered: its content does not match its hash`,
      };
    }
    prevHash = r.hash;
    expectedSeq++;
  }
  return { ok: true, rows, firstBadSeq: null, problem: null };
}
