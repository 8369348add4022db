import type { DestinationConfig } from '../config/nodeConfigSchema';
import {
  DeliveryRepository,
  replayAllDeadDeliveries,
  replayDelivery,
  type DeliveryRow,
  type DeliveryState,
} from '../db/deliveryRepository';
import type { Db } from '../db/openDatabase';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { Clock, TimerHandle } from '../pipeline/clock';
import { ConfigError } from '../pipeline/errors';
import type { DeliveryOutcome, EncodedObject } from '../pipeline/types';
import { backoffDelayMs } from './backoff';
import { defaultDestinationRegistry } from './defaultDestinationRegistry';
import type { Destination, OutboxItem, SendResult } from './destination';
import type { DestinationRegistry } from './destinationRegistry';
import { validateDestinations } from './validateDestinations';

export interface DeliveryServiceOptions {
  db: Db;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  destinations: Readonly<Record<string, DestinationConfig>>;
  /** Our AE title; DIMSE destinations call with it unless they set their own. */
  callingAeTitle: string;
  /** [0, 1) source for backoff jitter; Math.random by default. */
  random?: () => number;
  registry?: DestinationRegistry;
  /** Rows sent per destination per round (one association / one POST); default 100. */
  batchSize?: number;
  /**
   * How often the timer looks for rows made due by another process (`deliveries replay` from
   * the CLI) when nothing is due sooner; default 5000 ms.
   */
  pollMs?: number;
  /**
   * Called after a row changed outside a send round's bookkeeping: delivered, retry scheduled,
   * dead, or replayed (for the orchestrator's job re-check and for metrics). Errors are logged.
   */
  onChange?: (change: DeliveryChange) => void;
}

/** What onChange reports. */
export interface DeliveryChange {
  id: number;
  jobId: string | null;
  destination: string;
  outcome: 'delivered' | 'retry' | 'dead' | 'replayed';
}

/** Whole-job view of its deliveries. */
export type JobDeliveryState = 'pending' | 'delivered' | 'dead' | 'none';

/**
 * The persistent outbox (PRODUCT.md 6): one row per (object, destination), sent when due, retried
 * with exponential backoff and equal jitter (see backoff.ts), dead after maxAttempts or at once
 * for a non-retryable failure, replayable. Every attempt and outcome is audited in the same
 * transaction as the row change.
 */
export class DeliveryService {
  private readonly repo: DeliveryRepository;
  private readonly destinations = new Map<string, { config: DestinationConfig; destination: Destination }>();
  private readonly random: () => number;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private timer: TimerHandle | undefined;
  private started = false;
  private running: Promise<DeliveryOutcome[]> | undefined;

  constructor(private readonly opts: DeliveryServiceOptions) {
    const registry = opts.registry ?? defaultDestinationRegistry();
    const problems = validateDestinations(opts.destinations, registry);
    if (problems.length) throw new ConfigError(`destinations: ${problems.length} problem(s)`, problems);
    for (const [name, config] of Object.entries(opts.destinations)) {
      this.destinations.set(name, {
        config,
        destination: registry.create(config.url, { name, config, callingAeTitle: opts.callingAeTitle }),
      });
    }
    this.repo = new DeliveryRepository(opts.db, opts.clock);
    this.random = opts.random ?? Math.random;
    this.batchSize = opts.batchSize ?? 100;
    this.pollMs = opts.pollMs ?? 5000;
  }

  /**
   * Puts every object × destination in the outbox, due now, in one transaction with a
   * `delivery.enqueued` audit row each. The same SOP instance to the same destination replaces
   * the earlier row. Throws ConfigError for an unknown destination name (nothing is enqueued).
   */
  enqueue(
    objects: readonly EncodedObject[],
    destinations: readonly string[],
    jobId: string | null = null,
  ): number[] {
    const unknown = destinations.filter((d) => !this.destinations.has(d));
    if (unknown.length) {
      throw new ConfigError(
        `unknown destination(s): ${unknown.join(', ')}`,
        unknown.map(
          (d) =>
            `deliver: unknown destination "${d}" (configured: ${[...this.destinations.keys()].join(', ') || 'none'})`,
        ),
      );
    }
    const ids = this.opts.db.transaction(() => {
      const out: number[] = [];
      for (const o of objects) {
        for (const destination of new Set(destinations)) {
          const id = this.repo.upsert({
            jobId,
            sopInstanceUid: o.sopInstanceUid,
            sopClassUid: o.sopClassUid,
            studyInstanceUid: o.studyInstanceUid,
            seriesInstanceUid: o.seriesInstanceUid,
            filePath: o.filePath,
            destination,
          });
          this.opts.audit.record({
            event: 'delivery.enqueued',
            subject: String(id),
            correlationId: jobId,
            detail: {
              destination,
              sopInstanceUid: o.sopInstanceUid,
              sopClassUid: o.sopClassUid,
              kind: o.kind,
              modelId: o.modelId,
            },
          });
          out.push(id);
        }
      }
      return out;
    })();
    this.schedule();
    return ids;
  }

  /**
   * Sends every row due at clock.now() (bounded per destination by batchSize), destinations in
   * parallel, and records each outcome. A second call while one runs waits for it and runs again.
   */
  async processDue(): Promise<DeliveryOutcome[]> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.round();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async round(): Promise<DeliveryOutcome[]> {
    const now = this.opts.clock.now();
    // Per destination, so a long queue for one peer never holds back the others.
    const batches = this.repo
      .dueDestinations(now)
      .map((name) => [name, this.repo.dueFor(name, now, this.batchSize)] as const);
    const outcomes = await Promise.all(batches.map(([name, rows]) => this.sendBatch(name, rows)));
    return outcomes.flat();
  }

  private async sendBatch(name: string, rows: DeliveryRow[]): Promise<DeliveryOutcome[]> {
    const entry = this.destinations.get(name);
    this.opts.db.transaction(() => {
      for (const r of rows) this.repo.markInFlight(r.id);
    })();
    if (!entry) {
      // A row for a destination removed from node.yaml: dead, replayable once it is configured again.
      return rows.map((r) =>
        this.record(
          { ...r, attempts: r.attempts + 1 },
          {
            statusClass: 'failure',
            status: null,
            retryable: false,
            message: `destination "${name}" is not configured`,
          },
          undefined,
        ),
      );
    }
    const items: OutboxItem[] = rows.map((r) => ({
      id: r.id,
      sopInstanceUid: r.sop_instance_uid,
      sopClassUid: r.sop_class_uid,
      studyInstanceUid: r.study_instance_uid,
      seriesInstanceUid: r.series_instance_uid,
      filePath: r.file_path,
    }));
    let results: SendResult[];
    try {
      results = await entry.destination.send(items);
    } catch (e) {
      results = items.map(() => ({
        statusClass: 'failure',
        status: null,
        retryable: true,
        message: `send failed: ${(e as Error).message}`,
      }));
    }
    return rows.map((r, i) =>
      this.record(
        { ...r, attempts: r.attempts + 1 },
        results[i] ?? { statusClass: 'failure', status: null, retryable: true, message: 'no result' },
        entry.config,
      ),
    );
  }

  /** Records one attempt's outcome: delivered, retry later, or dead; audited in one transaction. */
  private record(row: DeliveryRow, res: SendResult, config: DestinationConfig | undefined): DeliveryOutcome {
    const { audit, clock, logger } = this.opts;
    const attempt = { status: res.status, statusClass: res.statusClass, message: res.message };
    const base = { destination: row.destination, sopInstanceUid: row.sop_instance_uid };
    const subject = String(row.id);
    let outcome: 'delivered' | 'retry' | 'dead' | 'superseded';
    this.opts.db.transaction(() => {
      // Enqueued again while this attempt ran (a re-run): the row is pending with the new file.
      const superseded = this.repo.find(row.id)?.state !== 'in_flight';
      audit.record({
        event: 'delivery.attempt',
        subject,
        correlationId: row.job_id,
        detail: {
          ...base,
          attempt: row.attempts,
          statusClass: res.statusClass,
          status: res.status,
          message: res.message,
          ...(superseded ? { superseded: true } : {}),
        },
      });
      if (superseded) {
        outcome = 'superseded';
        return;
      }
      if (res.statusClass !== 'failure') {
        outcome = 'delivered';
        this.repo.markDelivered(row.id, attempt);
        audit.record({
          event: 'delivery.delivered',
          subject,
          correlationId: row.job_id,
          detail: { ...base, attempts: row.attempts, statusClass: res.statusClass, status: res.status },
        });
        return;
      }
      /** What every `delivery.failed` row says, retried or not. */
      const failed = { ...base, attempts: row.attempts, status: res.status, message: res.message };
      const exhausted = !config || row.attempts >= config.maxAttempts;
      if (res.retryable && !exhausted) {
        outcome = 'retry';
        const nextAttemptAt = clock.now() + backoffDelayMs(row.attempts, config, this.random);
        this.repo.markRetry(row.id, nextAttemptAt, attempt);
        audit.record({
          event: 'delivery.failed',
          subject,
          correlationId: row.job_id,
          detail: { ...failed, retryable: true, nextAttemptAt: new Date(nextAttemptAt).toISOString() },
        });
        return;
      }
      outcome = 'dead';
      this.repo.markDead(row.id, attempt);
      audit.record({
        event: 'delivery.failed',
        subject,
        correlationId: row.job_id,
        detail: { ...failed, retryable: res.retryable },
      });
      audit.record({
        event: 'delivery.dead',
        subject,
        correlationId: row.job_id,
        detail: {
          ...base,
          attempts: row.attempts,
          status: res.status,
          reason: res.retryable ? 'max attempts reached' : 'non-retryable failure',
        },
      });
    })();
    const fields = {
      deliveryId: row.id,
      ...base,
      attempt: row.attempts,
      status: res.status,
      statusClass: res.statusClass,
      correlationId: row.job_id,
    };
    const done = outcome!;
    if (done === 'superseded') {
      logger.info('deliver.superseded', fields);
      return {
        ...base,
        status: res.statusClass,
        statusCode: res.status,
        message: `${res.message} (superseded by a newer enqueue)`,
        retryable: res.retryable,
      };
    }
    if (done === 'delivered') logger.info('deliver.delivered', fields);
    else if (done === 'retry') logger.warn('deliver.retry', { ...fields, message: res.message });
    else logger.error('deliver.dead', { ...fields, message: res.message });
    this.changed({ id: row.id, jobId: row.job_id, destination: row.destination, outcome: done });
    return {
      ...base,
      status: res.statusClass,
      statusCode: res.status,
      message: res.message,
      retryable: res.retryable,
    };
  }

  private changed(c: DeliveryChange): void {
    try {
      this.opts.onChange?.(c);
    } catch (e) {
      this.opts.logger.error('deliver.on_change_failed', { deliveryId: c.id, error: (e as Error).message });
    }
  }

  /**
   * Starts the outbox timer (injected Clock): rows left in_flight by a crash are made due, then
   * processDue runs whenever the earliest pending row falls due (and at least every pollMs).
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const recovered = this.repo.recoverInFlight();
    if (recovered.length) this.opts.logger.warn('deliver.recovered', { count: recovered.length });
    this.schedule();
  }

  private schedule(): void {
    if (!this.started) return;
    this.timer?.cancel();
    const next = this.repo.nextDueAt();
    const now = this.opts.clock.now();
    const delay = next === null ? this.pollMs : Math.min(this.pollMs, Math.max(0, next - now));
    this.timer = this.opts.clock.setTimer(delay, () => {
      this.timer = undefined;
      this.processDue()
        .catch((e: unknown) =>
          this.opts.logger.error('deliver.round_failed', { error: (e as Error).message }),
        )
        .finally(() => this.schedule());
    });
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Marks one row pending again with attempts reset (audited `delivery.replayed`). */
  replay(id: number, actor = 'node'): void {
    const row = replayDelivery(this.opts.db, this.opts.audit, this.opts.clock, id, actor);
    this.changed({ id, jobId: row.job_id, destination: row.destination, outcome: 'replayed' });
    this.schedule();
  }

  /** Replays every dead row; returns how many. */
  replayAllDead(actor = 'node'): number {
    const dead = this.repo.list({ state: 'dead' });
    const n = replayAllDeadDeliveries(this.opts.db, this.opts.audit, this.opts.clock, actor);
    for (const r of dead)
      this.changed({ id: r.id, jobId: r.job_id, destination: r.destination, outcome: 'replayed' });
    this.schedule();
    return n;
  }

  list(filter: { state?: string } = {}): DeliveryRow[] {
    return this.repo.list({ state: filter.state as DeliveryState | undefined });
  }

  /** 'none' without rows; 'pending' while any row is pending or in flight; else 'dead' if any is dead; else 'delivered'. */
  jobDeliveryState(jobId: string): JobDeliveryState {
    const rows = this.repo.list({ jobId });
    if (rows.length === 0) return 'none';
    if (rows.some((r) => r.state === 'pending' || r.state === 'in_flight')) return 'pending';
    if (rows.some((r) => r.state === 'dead')) return 'dead';
    return 'delivered';
  }
}
