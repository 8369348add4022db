import type { AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';
import { NodeError, NotFoundError } from '../pipeline/errors';
import type { DeliveryStatusClass } from '../pipeline/types';
import type { Db } from './openDatabase';

/** States of an outbox row: pending → in_flight → delivered | pending (retry) | dead. */
export type DeliveryState = 'pending' | 'in_flight' | 'delivered' | 'dead';

export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'in_flight', 'delivered', 'dead'];

/** One row of the `deliveries` outbox (migrations/0002_deliveries.sql). */
export interface DeliveryRow {
  id: number;
  job_id: string | null;
  sop_instance_uid: string;
  sop_class_uid: string;
  study_instance_uid: string;
  series_instance_uid: string;
  file_path: string;
  destination: string;
  state: DeliveryState;
  attempts: number;
  /** Epoch ms. */
  next_attempt_at: number;
  last_status: number | null;
  last_status_class: DeliveryStatusClass | null;
  last_message: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/** What an enqueued row is made of. */
export interface DeliveryInput {
  jobId: string | null;
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  filePath: string;
  destination: string;
}

/** The result of one attempt, as recorded on the row. */
export interface AttemptRecord {
  status: number | null;
  statusClass: DeliveryStatusClass;
  message: string;
}

/**
 * SQL of the delivery outbox. Plain statements; the callers (DeliveryService, the CLI) wrap them
 * in a transaction with their audit rows.
 */
export class DeliveryRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /**
   * Inserts a pending row due now, or — same SOP instance, same destination — resets the existing
   * row to pending with the new file and attempts 0, so a re-delivery never duplicates.
   */
  upsert(d: DeliveryInput): number {
    const at = this.nowIso();
    const row = this.db
      .prepare(
        `INSERT INTO deliveries (job_id, sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid,
           file_path, destination, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
         ON CONFLICT (sop_instance_uid, destination) DO UPDATE SET
           job_id = excluded.job_id, sop_class_uid = excluded.sop_class_uid,
           study_instance_uid = excluded.study_instance_uid, series_instance_uid = excluded.series_instance_uid,
           file_path = excluded.file_path, state = 'pending', attempts = 0,
           next_attempt_at = excluded.next_attempt_at, last_status = NULL, last_status_class = NULL,
           last_message = NULL, updated_at = excluded.updated_at, delivered_at = NULL
         RETURNING id`,
      )
      .get(
        d.jobId,
        d.sopInstanceUid,
        d.sopClassUid,
        d.studyInstanceUid,
        d.seriesInstanceUid,
        d.filePath,
        d.destination,
        this.clock.now(),
        at,
        at,
      ) as {
      id: number;
    };
    return row.id;
  }

  get(id: number): DeliveryRow {
    const row = this.find(id);
    if (!row) throw new NotFoundError(`no delivery ${id}`);
    return row;
  }

  find(id: number): DeliveryRow | undefined {
    return this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
  }

  /** Pending rows due at `now`, oldest due first. */
  due(now: number, limit = 1000): DeliveryRow[] {
    return this.db
      .prepare(
        `SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      )
      .all(now, limit) as DeliveryRow[];
  }

  /** Destinations that have pending rows due at `now`. */
  dueDestinations(now: number): string[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT destination FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY destination`,
        )
        .all(now) as Array<{
        destination: string;
      }>
    ).map((r) => r.destination);
  }

  /** Pending rows of one destination due at `now`, oldest due first. */
  dueFor(destination: string, now: number, limit: number): DeliveryRow[] {
    return this.db
      .prepare(
        `SELECT * FROM deliveries WHERE state = 'pending' AND destination = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      )
      .all(destination, now, limit) as DeliveryRow[];
  }

  /** The earliest next_attempt_at of a pending row, or null. */
  nextDueAt(): number | null {
    const r = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE state = 'pending'`)
      .get() as { t: number | null };
    return r.t;
  }

  list(
    filter: { state?: DeliveryState; jobId?: string; destination?: string; limit?: number } = {},
  ): DeliveryRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.state) {
      where.push('state = ?');
      args.push(filter.state);
    }
    if (filter.jobId) {
      where.push('job_id = ?');
      args.push(filter.jobId);
    }
    if (filter.destination) {
      where.push('destination = ?');
      args.push(filter.destination);
    }
    const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return this.db.prepare(sql).all(...args, filter.limit ?? 100000) as DeliveryRow[];
  }

  markInFlight(id: number): void {
    this.db
      .prepare(
        `UPDATE deliveries SET state = 'in_flight', attempts = attempts + 1, updated_at = ? WHERE id = ?`,
      )
      .run(this.nowIso(), id);
  }

  /**
   * The outcome updates below apply only to a row still in flight: when the same object was
   * enqueued again during the send (a re-run), the row is pending with the new file and stays so.
   */
  markDelivered(id: number, r: AttemptRecord): void {
    const at = this.nowIso();
    this.db
      .prepare(
        `UPDATE deliveries SET state = 'delivered', last_status = ?, last_status_class = ?, last_message = ?,
           updated_at = ?, delivered_at = ? WHERE id = ? AND state = 'in_flight'`,
      )
      .run(r.status, r.statusClass, r.message, at, at, id);
  }

  markRetry(id: number, nextAttemptAt: number, r: AttemptRecord): void {
    this.db
      .prepare(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, last_status = ?, last_status_class = ?,
           last_message = ?, updated_at = ? WHERE id = ? AND state = 'in_flight'`,
      )
      .run(nextAttemptAt, r.status, r.statusClass, r.message, this.nowIso(), id);
  }

  markDead(id: number, r: AttemptRecord): void {
    this.db
      .prepare(
        `UPDATE deliveries SET state = 'dead', last_status = ?, last_status_class = ?, last_message = ?, updated_at = ? WHERE id = ?`,
      )
      .run(r.status, r.statusClass, r.message, this.nowIso(), id);
  }

  /** Rows left in_flight by a crash become pending again, due now; returns their ids. */
  recoverInFlight(): number[] {
    const ids = (
      this.db.prepare(`SELECT id FROM deliveries WHERE state = 'in_flight'`).all() as Array<{ id: number }>
    ).map((r) => r.id);
    if (ids.length) {
      this.db
        .prepare(
          `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'in_flight'`,
        )
        .run(this.clock.now(), this.nowIso());
    }
    return ids;
  }

  /** Marks a row pending again, due now, with attempts reset (replay). */
  resetForReplay(id: number): DeliveryRow {
    const row = this.get(id);
    if (row.state === 'in_flight') throw new NodeError('CONFLICT', `delivery ${id} is being sent right now`);
    this.db
      .prepare(
        `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(this.clock.now(), this.nowIso(), id);
    return row;
  }

  countByState(): Record<DeliveryState, number> {
    const out: Record<DeliveryState, number> = { pending: 0, in_flight: 0, delivered: 0, dead: 0 };
    for (const r of this.db
      .prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state')
      .all() as Array<{ state: DeliveryState; n: number }>) {
      out[r.state] = r.n;
    }
    return out;
  }
}

/**
 * Replays one outbox row: pending again, attempts reset, due now; audited `delivery.replayed`
 * in the same transaction. The running node's outbox timer then sends it.
 */
export function replayDelivery(
  db: Db,
  audit: AuditSink,
  clock: Clock,
  id: number,
  actor = 'node',
): DeliveryRow {
  return db.transaction(() => {
    const repo = new DeliveryRepository(db, clock);
    const before = repo.resetForReplay(id);
    audit.record({
      event: 'delivery.replayed',
      actor,
      subject: String(id),
      correlationId: before.job_id,
      detail: {
        destination: before.destination,
        sopInstanceUid: before.sop_instance_uid,
        previousState: before.state,
        previousAttempts: before.attempts,
      },
    });
    return repo.get(id);
  })();
}

/** Replays every dead row (see replayDelivery); returns how many. */
export function replayAllDeadDeliveries(db: Db, audit: AuditSink, clock: Clock, actor = 'node'): number {
  return db.transaction(() => {
    const dead = new DeliveryRepository(db, clock).list({ state: 'dead' });
    for (const r of dead) replayDelivery(db, audit, clock, r.id, actor);
    return dead.length;
  })();
}
