import type { JobRepository, JobRow } from '../db/jobRepository';
import type { SeriesRepository } from '../db/seriesRepository';
import type { Logger } from '../logging/logger';
import type { AuditSink } from './audit';
import type { Clock, TimerHandle } from './clock';
import { NodeError } from './errors';
import type {
  CompletedSeries,
  EncodedObject,
  Finding,
  InferenceResult,
  Measurement,
  RouteDecision,
  SeriesInstanceRef,
} from './types';

/**
 * The orchestrator (ARCHITECTURE.md "Job state machine"): connects route → infer → encode →
 * deliver for each completed series. It knows the stages only through these ports; src/app.ts
 * plugs the real stages in. Every transition is persisted (JobRepository: one transaction with
 * its audit row), so after a crash each job resumes from the state it had reached.
 */
export interface RoutePort {
  /** Evaluates the current rules on a completed series. */
  route(series: CompletedSeries): Promise<RouteDecision>;
}

export interface InferPort {
  run(modelId: string, series: CompletedSeries, settings: Record<string, unknown>): Promise<InferenceResult>;
}

export interface EncodePort {
  /** Writes the result objects; UIDs are derived from (series, model, version, rules version, kind). */
  encode(result: InferenceResult, rulesVersion: string): Promise<EncodedObject[]>;
}

export interface DeliverPort {
  /** Puts objects in the outbox for each destination; returns the outbox row ids. */
  enqueue(objects: EncodedObject[], destinations: string[], jobId: string): number[];
  /** Outcome of every outbox row of the job. */
  jobDeliveryState(jobId: string): 'pending' | 'delivered' | 'dead' | 'none';
}

export interface ResultConditionPort {
  /** Destinations and webhooks a result adds (rules.yaml `then.when`). */
  apply(
    decision: RouteDecision,
    findings: Finding[],
    measurements: Measurement[],
  ): { deliver: string[]; notify: string[] };
}

export interface NotifyPort {
  notify(url: string, payload: Record<string, unknown>): Promise<void>;
}

export interface OrchestratorOptions {
  jobs: JobRepository;
  series: SeriesRepository;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  router: RoutePort;
  infer: InferPort;
  encode: EncodePort;
  deliver: DeliverPort;
  resultConditions: ResultConditionPort;
  notify?: NotifyPort;
  /** Resolves a stored instance's path (relative to the data directory) to an absolute path. */
  resolvePath: (relative: string) => string;
  /** How often a delivering job looks at its outbox rows. */
  deliveryPollMs?: number;
  /**
   * Study-level rules (`level: study`) wait until no series of the study is receiving and the
   * study's last series completed this long ago (config assembly.studyQuietSeconds).
   */
  studyQuietMs?: number;
  /** Metrics hooks. */
  onDelivered?: (job: JobRow, secondsFromLastInstance: number) => void;
}

/** What a job records of its route decision and results, in `jobs.detail`. */
interface JobDetail {
  decision?: RouteDecision;
  results?: Array<{
    model: string;
    version: string;
    outOfScope: boolean;
    reason: string | null;
    findings: Finding[];
    measurements: Measurement[];
    durationMs: number;
  }>;
  objects?: EncodedObject[];
  destinations?: string[];
}

/** Runs jobs one at a time, highest priority first; a job's steps never run twice at once. */
export class Orchestrator {
  private readonly queue: Array<{ jobId: string; rank: number; seq: number }> = [];
  private seq = 0;
  private running = false;
  private stopped = false;
  private readonly waiting = new Map<string, TimerHandle>();
  private idleResolvers: Array<() => void> = [];

  constructor(private readonly o: OrchestratorOptions) {}

  /** A series completed: its job enters the queue. */
  seriesCompleted(_series: CompletedSeries, jobId: string): void {
    this.enqueue(jobId);
  }

  /** On start: every job that is neither terminal nor failed resumes from its persisted state. */
  resume(): number {
    const jobs = this.o.jobs.unfinished().filter((j) => j.state !== 'received');
    for (const j of jobs) {
      this.o.logger.info('pipeline.job.resumed', { correlationId: j.id, state: j.state });
      this.enqueue(j.id);
    }
    return jobs.length;
  }

  /** Retries a failed job from the state it failed in (admin action). */
  retry(jobId: string, actor: string): void {
    const job = this.o.jobs.get(jobId);
    if (job.state !== 'failed' || !job.failed_from)
      throw new NodeError('CONFLICT', `job ${jobId} is not failed`);
    this.o.jobs.transition(jobId, job.failed_from, { actor, error: null });
    this.enqueue(jobId);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.waiting.values()) t.cancel();
    this.waiting.clear();
  }

  /** Resolves when the queue is empty and nothing runs (tests and graceful stop). */
  idle(): Promise<void> {
    if (!this.running && (this.queue.length === 0 || this.stopped)) return Promise.resolve();
    return new Promise((r) => this.idleResolvers.push(r));
  }

  private enqueue(jobId: string): void {
    if (this.stopped || this.queue.some((q) => q.jobId === jobId)) return;
    const job = this.o.jobs.find(jobId);
    const rank = job?.priority === 'stat' ? 0 : job?.priority === 'offpeak' ? 2 : 1;
    this.queue.push({ jobId, rank, seq: ++this.seq });
    this.queue.sort((a, b) => a.rank - b.rank || a.seq - b.seq);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.stopped && this.queue.length > 0) {
        const next = this.queue.shift()!;
        await this.step(next.jobId);
      }
    } finally {
      this.running = false;
      if (this.queue.length === 0 || this.stopped) {
        const rs = this.idleResolvers;
        this.idleResolvers = [];
        for (const r of rs) r();
      }
    }
  }

  /** Advances one job as far as it can go now. */
  private async step(jobId: string): Promise<void> {
    const log = this.o.logger.child({ correlationId: jobId });
    try {
      for (;;) {
        const job = this.o.jobs.get(jobId);
        const moved = await this.advance(job);
        if (!moved) return;
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error('pipeline.job.failed', { error: message, code: e instanceof NodeError ? e.code : undefined });
      const job = this.o.jobs.find(jobId);
      if (job && job.state !== 'failed' && !['delivered', 'discarded', 'out_of_scope'].includes(job.state)) {
        this.o.jobs.transition(jobId, 'failed', { error: message });
      }
    }
  }

  private detail(job: JobRow): JobDetail {
    return JSON.parse(job.detail) as JobDetail;
  }

  private completedSeries(job: JobRow): CompletedSeries {
    const row = this.o.series.get(job.series_instance_uid);
    if (!row) throw new NodeError('NOT_FOUND', `series of job ${job.id} is gone`);
    const instances: SeriesInstanceRef[] = this.o.series.instances(row.series_instance_uid).map((r) => ({
      sopInstanceUid: r.sop_instance_uid,
      sopClassUid: r.sop_class_uid,
      transferSyntaxUid: r.transfer_syntax_uid,
      instanceNumber: r.instance_number,
      filePath: this.o.resolvePath(r.file_path),
    }));
    return {
      studyInstanceUid: row.study_instance_uid,
      seriesInstanceUid: row.series_instance_uid,
      modality: row.modality,
      instances,
      signal: (job.completion_signal as CompletedSeries['signal']) ?? 'resumed',
      completedAt: row.completed_at ? Date.parse(row.completed_at) : this.o.clock.now(),
      lastReceivedAt: Date.parse(row.last_received_at),
      peer: {
        callingAeTitle: row.calling_ae_title,
        calledAeTitle: row.called_ae_title,
        peerAddress: row.peer_address,
      },
    };
  }

  /** One transition; false when the job must wait (or is finished). */
  private async advance(job: JobRow): Promise<boolean> {
    switch (job.state) {
      case 'complete':
        return this.doRoute(job);
      case 'routed':
      case 'inferring':
        return this.doInfer(job);
      case 'encoded':
        return this.doEnqueue(job);
      case 'delivering':
        return this.checkDelivery(job);
      default:
        return false;
    }
  }

  private async doRoute(job: JobRow): Promise<boolean> {
    const series = this.completedSeries(job);
    const decision = await this.o.router.route(series);
    const { actions } = decision;
    const audit = { matched: decision.matched, rulesVersion: decision.rulesVersion };
    if (actions.level === 'study' && this.waitForStudy(job, series)) return false;
    if (
      decision.matched.length === 0 ||
      (actions.discard && actions.run.length === 0 && actions.forward.length === 0)
    ) {
      this.o.jobs.transition(job.id, 'discarded', {
        rulesVersion: decision.rulesVersion,
        detail: { decision },
        audit: { ...audit, reason: decision.matched.length === 0 ? 'no rule matched' : 'discard' },
      });
      return false;
    }
    this.o.jobs.transition(job.id, 'routed', {
      rulesVersion: decision.rulesVersion,
      priority: actions.priority,
      detail: { decision },
      audit,
    });
    return true;
  }

  private async doInfer(job: JobRow): Promise<boolean> {
    const d = this.detail(job);
    const decision = d.decision;
    if (!decision) throw new NodeError('CONFLICT', `job ${job.id} has no route decision`);
    const series = this.completedSeries(job);
    if (decision.actions.run.length === 0) {
      // forward-only rule: nothing to infer or encode.
      this.o.jobs.transition(job.id, 'delivering', { detail: { objects: [] } });
      this.enqueueForward(job.id, decision, series);
      return true;
    }
    if (job.state === 'routed') this.o.jobs.transition(job.id, 'inferring');
    const results: NonNullable<JobDetail['results']> = [];
    const objects: EncodedObject[] = [];
    const extraDeliver = new Set<string>();
    const notify = new Set<string>(decision.actions.notify);
    for (const run of decision.actions.run) {
      const result = await this.o.infer.run(run.model, series, run.settings);
      results.push({
        model: result.modelId,
        version: result.modelVersion,
        outOfScope: result.outOfScope,
        reason: result.reason,
        findings: result.findings,
        measurements: result.measurements,
        durationMs: result.durationMs,
      });
      if (result.outOfScope) continue;
      objects.push(...(await this.o.encode.encode(result, decision.rulesVersion)));
      const extra = this.o.resultConditions.apply(decision, result.findings, result.measurements);
      extra.deliver.forEach((x) => extraDeliver.add(x));
      extra.notify.forEach((x) => notify.add(x));
    }
    if (results.every((r) => r.outOfScope)) {
      this.o.jobs.transition(job.id, 'out_of_scope', {
        detail: { results },
        error: results.map((r) => `${r.model}: ${r.reason ?? 'out of scope'}`).join('; '),
        audit: { reasons: results.map((r) => ({ model: r.model, reason: r.reason })) },
      });
      return false;
    }
    const destinations = [...new Set([...decision.actions.deliver, ...extraDeliver])];
    this.o.jobs.transition(job.id, 'encoded', {
      detail: { results, objects, destinations },
      audit: {
        objects: objects.map((o) => ({ kind: o.kind, sopInstanceUid: o.sopInstanceUid })),
        findings: results.flatMap((r) =>
          r.findings.map((f) => ({ label: f.label, present: f.present, probability: f.probability })),
        ),
        measurements: results.flatMap((r) =>
          r.measurements.map((m) => ({ name: m.name, value: m.value, unit: m.unit.code })),
        ),
      },
    });
    for (const url of notify) void this.sendNotification(job.id, url, series, results);
    return true;
  }

  /**
   * True (and a re-check scheduled) while the job's study is still arriving: some series of the
   * study is receiving, or the last one completed less than studyQuietMs ago.
   */
  private waitForStudy(job: JobRow, series: CompletedSeries): boolean {
    const quietMs = this.o.studyQuietMs ?? 120_000;
    const study = this.o.series.list({ studyInstanceUid: series.studyInstanceUid });
    const receiving = study.filter((s) => s.state === 'receiving').length;
    const lastCompleted = Math.max(...study.map((s) => (s.completed_at ? Date.parse(s.completed_at) : 0)));
    const remaining = receiving > 0 ? quietMs : lastCompleted + quietMs - this.o.clock.now();
    if (remaining <= 0) return false;
    if (!this.waiting.has(job.id)) {
      this.o.audit.record({
        event: 'job.waiting_for_study',
        subject: job.id,
        correlationId: job.id,
        detail: {
          studyInstanceUid: series.studyInstanceUid,
          seriesReceiving: receiving,
          recheckMs: remaining,
        },
      });
    }
    this.waiting.get(job.id)?.cancel();
    this.waiting.set(
      job.id,
      this.o.clock.setTimer(remaining, () => {
        this.waiting.delete(job.id);
        this.enqueue(job.id);
      }),
    );
    return true;
  }

  private enqueueForward(jobId: string, decision: RouteDecision, series: CompletedSeries): void {
    if (decision.actions.forward.length === 0) return;
    const inputs: EncodedObject[] = series.instances.map((i) => ({
      kind: 'DERIVED',
      sopClassUid: i.sopClassUid,
      sopInstanceUid: i.sopInstanceUid,
      seriesInstanceUid: series.seriesInstanceUid,
      studyInstanceUid: series.studyInstanceUid,
      transferSyntaxUid: i.transferSyntaxUid,
      filePath: i.filePath,
      modelId: '',
      modelVersion: '',
    }));
    this.o.deliver.enqueue(inputs, decision.actions.forward, jobId);
  }

  private doEnqueue(job: JobRow): boolean {
    const d = this.detail(job);
    const objects = d.objects ?? [];
    const destinations = d.destinations ?? [];
    if (destinations.length > 0 && objects.length > 0) this.o.deliver.enqueue(objects, destinations, job.id);
    if (d.decision) this.enqueueForward(job.id, d.decision, this.completedSeries(job));
    if (this.o.deliver.jobDeliveryState(job.id) === 'none') {
      this.o.jobs.transition(job.id, 'delivered', { audit: { note: 'no destination' } });
      return false;
    }
    this.o.jobs.transition(job.id, 'delivering', { audit: { destinations } });
    return true;
  }

  private checkDelivery(job: JobRow): boolean {
    const state = this.o.deliver.jobDeliveryState(job.id);
    if (state === 'delivered' || state === 'none') {
      const delivered = this.o.jobs.transition(job.id, 'delivered');
      if (job.last_instance_at) {
        this.o.onDelivered?.(delivered, (this.o.clock.now() - Date.parse(job.last_instance_at)) / 1000);
      }
      return false;
    }
    if (state === 'dead') {
      this.o.jobs.transition(job.id, 'failed', { error: 'a delivery became a dead letter (see deliveries)' });
      return false;
    }
    // Still pending: look again later (the outbox retries on its own timer).
    this.waiting.get(job.id)?.cancel();
    this.waiting.set(
      job.id,
      this.o.clock.setTimer(this.o.deliveryPollMs ?? 1000, () => {
        this.waiting.delete(job.id);
        this.enqueue(job.id);
      }),
    );
    return false;
  }

  /** Called by the outbox when a delivery row changed: re-check that job now. */
  deliveryChanged(jobId: string | null): void {
    if (!jobId) return;
    const job = this.o.jobs.find(jobId);
    if (job && (job.state === 'delivering' || job.state === 'failed')) {
      if (
        job.state === 'failed' &&
        job.failed_from === 'delivering' &&
        this.o.deliver.jobDeliveryState(jobId) === 'delivered'
      ) {
        this.o.jobs.transition(jobId, 'delivering', { actor: 'node', error: null });
      }
      this.waiting.get(jobId)?.cancel();
      this.waiting.delete(jobId);
      this.enqueue(jobId);
    }
  }

  private async sendNotification(
    jobId: string,
    url: string,
    series: CompletedSeries,
    results: JobDetail['results'],
  ): Promise<void> {
    if (!this.o.notify) return;
    const payload = {
      jobId,
      studyInstanceUid: series.studyInstanceUid,
      seriesInstanceUid: series.seriesInstanceUid,
      results: (results ?? []).map((r) => ({
        model: r.model,
        version: r.version,
        findings: r.findings,
        measurements: r.measurements,
      })),
    };
    try {
      await this.o.notify.notify(url, payload);
      this.o.audit.record({ event: 'notify.sent', subject: jobId, correlationId: jobId, detail: { url } });
    } catch (e) {
      this.o.audit.record({
        event: 'notify.failed',
        subject: jobId,
        correlationId: jobId,
        detail: { url, error: (e as Error).message },
      });
    }
  }
}
