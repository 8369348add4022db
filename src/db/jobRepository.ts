import crypto from 'node:crypto';
import type { AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';
import { NotFoundError } from '../pipeline/errors';
import { assertTransition, isTerminal, type JobState } from '../pipeline/jobState';
import type { Statement } from 'better-sqlite3';
import type { Db } from './openDatabase';
import { whereEquals } from './whereEquals';

export interface JobRow {
  id: string;
  series_instance_uid: string;
  state: JobState;
  failed_from: JobState | null;
  rules_version: string | null;
  priority: string;
  completion_signal: string | null;
  detail: string;
  error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  last_instance_at: string | null;
}

export interface TransitionOptions {
  /** Merged into the job's `detail` JSON. */
  detail?: Record<string, unknown>;
  rulesVersion?: string;
  priority?: string;
  error?: string | null;
  /** Also written to the audit row. */
  audit?: Record<string, unknown>;
  actor?: string;
}

/**
 * The persisted job state machine (ARCHITECTURE.md). Every transition is one transaction that
 * also writes its audit row.
 */
export class JobRepository {
  /** Statements prepared once per SQL text (list() builds a few variants). */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditSink,
    private readonly clock: Clock,
  ) {}

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Creates a job for a series in state `received`. */
  create(
    seriesInstanceUid: string,
    opts: { completionSignal?: string; correlationId?: string } = {},
  ): JobRow {
    const id = crypto.randomUUID();
    const at = this.nowIso();
    this.db.transaction(() => {
      this.stmt(
        `INSERT INTO jobs (id, series_instance_uid, state, completion_signal, created_at, updated_at)
           VALUES (?, ?, 'received', ?, ?, ?)`,
      ).run(id, seriesInstanceUid, opts.completionSignal ?? null, at, at);
      this.audit.record({
        event: 'job.created',
        subject: id,
        correlationId: opts.correlationId ?? id,
        detail: { seriesInstanceUid, state: 'received' },
      });
    })();
    return this.get(id);
  }

  get(id: string): JobRow {
    const row = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) throw new NotFoundError(`no job ${id}`);
    return row;
  }

  find(id: string): JobRow | undefined {
    return this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  list(
    filter: { state?: JobState; seriesInstanceUid?: string; limit?: number; offset?: number } = {},
  ): JobRow[] {
    const where = whereEquals({ state: filter.state, series_instance_uid: filter.seriesInstanceUid });
    const sql = `SELECT * FROM jobs ${where.sql} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`;
    return this.stmt(sql).all(...where.args, filter.limit ?? 1000, filter.offset ?? 0) as JobRow[];
  }

  /** Jobs that are neither terminal nor dead: what a restart resumes. */
  unfinished(): JobRow[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM jobs WHERE state NOT IN ('delivered','discarded','out_of_scope','failed') ORDER BY created_at`,
        )
        .all() as JobRow[]
    ).filter((j) => !isTerminal(j.state));
  }

  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as Array<{
      state: string;
      n: number;
    }>) {
      out[r.state] = r.n;
    }
    return out;
  }

  /**
   * Moves a job to `to` (checked against the state machine), merging detail, in one transaction
   * with its `job.transition` audit row.
   */
  transition(id: string, to: JobState, opts: TransitionOptions = {}): JobRow {
    this.db.transaction(() => {
      const job = this.get(id);
      assertTransition(job.state, to);
      const detail = { ...(JSON.parse(job.detail) as Record<string, unknown>), ...(opts.detail ?? {}) };
      this.stmt(
        `UPDATE jobs SET state = ?, failed_from = ?, rules_version = COALESCE(?, rules_version),
             priority = COALESCE(?, priority), detail = ?, error = ?, updated_at = ?,
             attempts = attempts + ?
           WHERE id = ?`,
      ).run(
        to,
        to === 'failed' ? job.state : null,
        opts.rulesVersion ?? null,
        opts.priority ?? null,
        JSON.stringify(detail),
        opts.error === undefined ? (to === 'failed' ? job.error : null) : opts.error,
        this.nowIso(),
        to === 'failed' ? 1 : 0,
        id,
      );
      this.audit.record({
        event: 'job.transition',
        actor: opts.actor ?? 'node',
        subject: id,
        correlationId: id,
        detail: {
          seriesInstanceUid: job.series_instance_uid,
          from: job.state,
          to,
          ...(opts.rulesVersion ? { rulesVersion: opts.rulesVersion } : {}),
          ...(opts.error ? { error: opts.error } : {}),
          ...(opts.audit ?? {}),
        },
      });
    })();
    return this.get(id);
  }
}
