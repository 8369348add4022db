import { z } from 'zod';
import type { NaturalDataset } from '../../dicom/dcmjs';
import { readDicomHeader } from '../../dicom/readDicomHeader';
import type { Logger } from '../../logging/logger';
import type { AuditSink } from '../../pipeline/audit';
import type { Clock } from '../../pipeline/clock';
import { NodeError, formatIssues } from '../../pipeline/errors';
import type { InferenceResult, SeriesInstanceRef } from '../../pipeline/types';
import type { LoadedModel, ModelRegistry } from '../registry/ModelRegistry';
import { WorkerPool } from '../worker/WorkerPool';
import type { Worker } from 'node:worker_threads';
import { CircuitBreaker } from './CircuitBreaker';
import { checkContract } from './checkContract';
import type { ModelJobOutput } from './modelJobTypes';

export interface InferenceEngineOptions {
  registry: ModelRegistry;
  clock: Clock;
  audit: AuditSink;
  logger: Logger;
  /** Upper bound of worker threads per model (the manifest's runtime.concurrency may lower it). */
  workers: number;
  /** Timeout per run unless the manifest sets runtime.timeoutSeconds. */
  timeoutMs: number;
  /** Consecutive failures that disable a model. */
  failureThreshold: number;
  /** How long a disabled model stays disabled. */
  disableMs: number;
  /** Starts a worker thread (tests); default the inference worker. */
  spawnWorker?: () => Worker;
}

const numbersSchema = z
  .object({
    workers: z.number().int().min(1).max(64),
    timeoutMs: z.number().positive(),
    failureThreshold: z.number().int().min(1),
    disableMs: z.number().positive(),
  })
  .passthrough();

/** The series to run on. */
export interface SeriesInput {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  instances: SeriesInstanceRef[];
}

/**
 * Runs models on series: contract check from the headers, then decode, preprocess, ONNX run and
 * postprocess in worker threads (bounded per model, timed out, sessions cached per model
 * version), behind a circuit breaker that disables a model that keeps failing.
 */
export class InferenceEngine {
  private readonly opts: InferenceEngineOptions;
  private readonly pools = new Map<string, { key: string; pool: WorkerPool }>();
  private readonly breaker: CircuitBreaker;
  private closed = false;

  constructor(opts: InferenceEngineOptions) {
    const r = numbersSchema.safeParse(opts);
    if (!r.success)
      throw new NodeError('CONFIG_INVALID', 'invalid InferenceEngine options', formatIssues(r.error.issues));
    if (!opts.registry || !opts.clock || !opts.audit || !opts.logger)
      throw new NodeError('CONFIG_INVALID', 'InferenceEngine needs registry, clock, audit and logger');
    this.opts = opts;
    this.breaker = new CircuitBreaker(opts);
  }

  /**
   * Runs `modelId` on a series. A series outside the model's contract resolves with
   * `outOfScope: true` and the reason; it is not run.
   * @throws NodeError MODEL_UNAVAILABLE (unknown, not installed, sha256 mismatch, disabled),
   *   TIMEOUT, INFERENCE_FAILED.
   */
  async run(
    modelId: string,
    series: SeriesInput,
    settings: Record<string, unknown> = {},
  ): Promise<InferenceResult> {
    if (this.closed) throw new NodeError('MODEL_UNAVAILABLE', 'inference engine is closed');
    const until = this.breaker.disabledUntil(modelId);
    if (until !== null)
      throw new NodeError(
        'MODEL_UNAVAILABLE',
        `model ${modelId} is disabled until ${new Date(until).toISOString()} after repeated failures`,
      );
    const model = await this.opts.registry.get(modelId);
    const started = this.opts.clock.now();
    const log = this.opts.logger.child({
      modelId,
      modelVersion: model.manifest.version,
      seriesInstanceUid: series.seriesInstanceUid,
    });
    const headers: NaturalDataset[] = [];
    for (const i of series.instances) headers.push((await readDicomHeader(i.filePath)).dataset);
    const reason = checkContract(model.manifest, headers);
    if (reason !== null) {
      log.info('infer.out_of_scope', { reason });
      return this.result(
        model,
        series,
        settings,
        { outOfScope: true, reason, findings: [], measurements: [], algorithmParameters: {}, stageMs: {} },
        started,
      );
    }
    const timeoutMs =
      model.manifest.runtime.timeoutSeconds !== undefined
        ? model.manifest.runtime.timeoutSeconds * 1000
        : this.opts.timeoutMs;
    let out: ModelJobOutput;
    try {
      out = await this.poolFor(model).run(
        {
          modelPath: model.modelPath,
          key: model.key,
          manifest: model.manifest,
          instances: series.instances,
          settings,
        },
        timeoutMs,
      );
    } catch (e) {
      const err =
        e instanceof NodeError
          ? e
          : new NodeError('INFERENCE_FAILED', (e as Error).message, [], { cause: e });
      if (err.code === 'TIMEOUT' || err.code === 'INFERENCE_FAILED')
        this.breaker.failed(modelId, model.manifest.version, err.message);
      log.error('infer.run_failed', { code: err.code, error: err.message });
      throw err;
    }
    this.breaker.succeeded(modelId);
    log.info(out.outOfScope ? 'infer.out_of_scope' : 'infer.run_completed', {
      stageMs: out.stageMs,
      ...(out.reason ? { reason: out.reason } : {}),
    });
    return this.result(model, series, settings, out, started);
  }

  /** Terminates every worker and cancels timers. */
  async close(): Promise<void> {
    this.closed = true;
    this.breaker.close();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.pool.close()));
  }

  private poolFor(model: LoadedModel): WorkerPool {
    const id = model.manifest.id;
    const cur = this.pools.get(id);
    if (cur && cur.key === model.key) return cur.pool;
    if (cur) void cur.pool.close();
    const pool = new WorkerPool({
      size: Math.min(this.opts.workers, model.manifest.runtime.concurrency),
      clock: this.opts.clock,
      logger: this.opts.logger,
      ...(this.opts.spawnWorker ? { spawn: this.opts.spawnWorker } : {}),
    });
    this.pools.set(id, { key: model.key, pool });
    return pool;
  }

  private result(
    model: LoadedModel,
    series: SeriesInput,
    settings: Record<string, unknown>,
    out: ModelJobOutput,
    started: number,
  ): InferenceResult {
    const m = model.manifest;
    const algorithmParameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(settings))
      if (typeof v !== 'object' || v === null) algorithmParameters[k] = String(v);
    Object.assign(algorithmParameters, out.algorithmParameters);
    return {
      modelId: m.id,
      modelVersion: m.version,
      modelName: m.name,
      task: m.task,
      algorithmParameters,
      studyInstanceUid: series.studyInstanceUid,
      seriesInstanceUid: series.seriesInstanceUid,
      sourceInstances: series.instances,
      outOfScope: out.outOfScope,
      reason: out.reason,
      findings: out.findings,
      measurements: out.measurements,
      ...(out.labelVolume ? { labelVolume: out.labelVolume } : {}),
      ...(out.heatMaps ? { heatMaps: out.heatMaps } : {}),
      ...(out.derivedFrames ? { derivedFrames: out.derivedFrames } : {}),
      results: out.outOfScope ? [] : [...m.results],
      durationMs: Math.max(0, this.opts.clock.now() - started),
    };
  }
}
