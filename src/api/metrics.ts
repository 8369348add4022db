import client from 'prom-client';
import type { Db } from '../db/openDatabase';
import { JOB_STATES } from '../pipeline/jobState';
import { tableExists } from './tableExists';

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Gauges of jobs by state, outbox depth and dead letters are read from it at scrape time. */
  db?: Db;
  /** Also export the prom-client process metrics (CPU, memory, event loop lag). */
  processMetrics?: boolean;
}

const DELIVERY_STATES = ['pending', 'in_flight', 'delivered', 'dead'] as const;

/**
 * The node's Prometheus metrics (PRODUCT.md 7), in a Registry of its own (no module-level global).
 * Stages report through the methods; database-backed gauges are collected at scrape time.
 */
export class Metrics {
  readonly registry: client.Registry;
  private readonly instances: client.Counter<'sop_class_uid' | 'calling_ae_title'>;
  private readonly bytes: client.Counter;
  private readonly rejected: client.Counter<'reason'>;
  private readonly completed: client.Counter<'signal'>;
  private readonly inference: client.Histogram<'model'>;
  private readonly ttr: client.Histogram;
  private readonly deliveries: client.Counter<'destination' | 'outcome'>;
  private readonly diskFreeGauge: client.Gauge;
  private readonly auditGauge: client.Gauge;
  private readonly httpRequests: client.Counter<'method' | 'route' | 'status'>;

  constructor(opts: MetricsOptions = {}) {
    const registers = [(this.registry = new client.Registry())];
    const db = opts.db;
    this.instances = new client.Counter({
      name: 'pacs_instances_received_total',
      help: 'Instances received (C-STORE and STOW-RS), by SOP Class UID and calling AE title',
      labelNames: ['sop_class_uid', 'calling_ae_title'],
      registers,
    });
    this.bytes = new client.Counter({
      name: 'pacs_received_bytes_total',
      help: 'Bytes of instances received',
      registers,
    });
    this.rejected = new client.Counter({
      name: 'pacs_associations_rejected_total',
      help: 'Associations rejected or aborted, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.completed = new client.Counter({
      name: 'pacs_series_completed_total',
      help: 'Series declared complete, by completion signal',
      labelNames: ['signal'],
      registers,
    });
    this.inference = new client.Histogram({
      name: 'pacs_inference_duration_seconds',
      help: 'Duration of one model run, by model id',
      labelNames: ['model'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.ttr = new client.Histogram({
      name: 'pacs_time_to_result_seconds',
      help: 'Time from the last instance of a series received to its results delivered',
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.deliveries = new client.Counter({
      name: 'pacs_deliveries_total',
      help: 'Delivery attempts, by destination and outcome',
      labelNames: ['destination', 'outcome'],
      registers,
    });
    new client.Gauge({
      name: 'pacs_jobs',
      help: 'Jobs by state',
      labelNames: ['state'],
      registers,
      collect() {
        if (!db) return;
        const rows = db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as Array<{
          state: string;
          n: number;
        }>;
        const by = new Map(rows.map((r) => [r.state, r.n]));
        for (const s of JOB_STATES) this.set({ state: s }, by.get(s) ?? 0);
      },
    });
    new client.Gauge({
      name: 'pacs_deliveries',
      help: 'Delivery outbox rows by state',
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, n] of deliveryCounts(db)) this.set({ state }, n);
      },
    });
    new client.Gauge({
      name: 'pacs_outbox_depth',
      help: 'Deliveries waiting or in flight',
      registers,
      collect() {
        const c = deliveryCounts(db);
        this.set((c.get('pending') ?? 0) + (c.get('in_flight') ?? 0));
      },
    });
    new client.Gauge({
      name: 'pacs_dead_letters',
      help: 'Deliveries that gave up (replayable)',
      registers,
      collect() {
        this.set(deliveryCounts(db).get('dead') ?? 0);
      },
    });
    this.diskFreeGauge = new client.Gauge({
      name: 'pacs_disk_free_bytes',
      help: 'Free bytes on the data directory file system, last measured',
      registers,
    });
    this.auditGauge = new client.Gauge({
      name: 'pacs_audit_chain_ok',
      help: '1 when the last audit chain verification passed, 0 when it found an edited row, -1 before the first check',
      registers,
    });
    this.auditGauge.set(-1);
    this.httpRequests = new client.Counter({
      name: 'pacs_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    if (opts.processMetrics) client.collectDefaultMetrics({ register: this.registry, prefix: 'pacs_' });
  }

  /** One instance stored (C-STORE or STOW-RS). */
  instanceReceived(sopClassUid: string, callingAeTitle: string, bytes: number): void {
    this.instances.inc({ sop_class_uid: sopClassUid, calling_ae_title: callingAeTitle });
    this.bytes.inc(Math.max(0, bytes));
  }

  /** An association rejected (PS3.8 9.3.4 reason) or aborted. */
  associationRejected(reason: string): void {
    this.rejected.inc({ reason });
  }

  seriesCompleted(signal: string): void {
    this.completed.inc({ signal });
  }

  inferenceDuration(modelId: string, seconds: number): void {
    this.inference.observe({ model: modelId }, seconds);
  }

  /** Seconds from the last instance of a series received to its results delivered. */
  timeToResult(seconds: number): void {
    this.ttr.observe(seconds);
  }

  /** One delivery attempt's outcome ('success' | 'warning' | 'failure' | 'dead'...). */
  deliveryOutcome(destination: string, outcome: string): void {
    this.deliveries.inc({ destination, outcome });
  }

  /** The disk watermark job's last reading. */
  diskFreeMeasured(bytes: number): void {
    this.diskFreeGauge.set(bytes);
  }

  /** The audit chain job's last verdict. */
  auditChainChecked(ok: boolean): void {
    this.auditGauge.set(ok ? 1 : 0);
  }

  httpRequest(method: string, route: string, status: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
  }

  /** The Prometheus text exposition (version 0.0.4). */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function deliveryCounts(db: Db | undefined): Map<string, number> {
  const out = new Map<string, number>(DELIVERY_STATES.map((s) => [s, 0]));
  if (!db || !tableExists(db, 'deliveries')) return out;
  for (const r of db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as Array<{
    state: string;
    n: number;
  }>) {
    out.set(r.state, r.n);
  }
  return out;
}
