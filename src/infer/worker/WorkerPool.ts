import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../logging/logger';
import type { Clock, TimerHandle } from '../../pipeline/clock';
import { NodeError, type ErrorCode } from '../../pipeline/errors';
import type { ModelJobOutput } from '../engine/modelJobTypes';
import type { WorkerRequest, WorkerResponse } from './protocol';
import { spawnInferenceWorker } from './spawnInferenceWorker';

export interface WorkerPoolOptions {
  /** Maximum worker threads, i.e. concurrent runs. */
  size: number;
  clock: Clock;
  logger: Logger;
  /** Starts one worker; default {@link spawnInferenceWorker}. */
  spawn?: () => Worker;
}

interface Pending {
  req: WorkerRequest;
  timeoutMs: number;
  resolve: (o: ModelJobOutput) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current: (Pending & { timer: TimerHandle }) | null;
}

/** Counters for metrics and tests. */
export interface WorkerPoolStats {
  workers: number;
  busy: number;
  queued: number;
  /** Workers terminated and replaced after a timeout or a crash. */
  replaced: number;
}

/**
 * A bounded set of inference worker threads: at most `size` runs at once, the rest queue in order.
 * Each run has a timeout on the injected clock; a run that times out terminates its worker and the
 * pool starts a fresh one (a thread stuck in native code cannot be interrupted any other way).
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly size: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly spawn: () => Worker;
  private nextId = 1;
  private replaced = 0;
  private closed = false;

  constructor(opts: WorkerPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1)
      throw new NodeError('CONFIG_INVALID', 'WorkerPool size must be a positive integer');
    this.size = opts.size;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.spawn = opts.spawn ?? spawnInferenceWorker;
  }

  /** Runs one request; rejects with NodeError TIMEOUT, INFERENCE_FAILED or the worker's typed error. */
  run(req: Omit<WorkerRequest, 'id'>, timeoutMs: number): Promise<ModelJobOutput> {
    if (this.closed) return Promise.reject(new NodeError('MODEL_UNAVAILABLE', 'inference pool is closed'));
    return new Promise<ModelJobOutput>((resolve, reject) => {
      this.queue.push({ req: { ...req, id: this.nextId++ }, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  stats(): WorkerPoolStats {
    return {
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.current).length,
      queued: this.queue.length,
      replaced: this.replaced,
    };
  }

  /** Rejects queued runs, terminates every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.reject(new NodeError('MODEL_UNAVAILABLE', 'inference pool closed'));
    const slots = this.slots.splice(0);
    for (const s of slots) {
      if (s.current) {
        s.current.timer.cancel();
        s.current.reject(new NodeError('MODEL_UNAVAILABLE', 'inference pool closed'));
        s.current = null;
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.newSlot();
        this.slots.push(slot);
      }
      const p = this.queue.shift()!;
      const timer = this.clock.setTimer(p.timeoutMs, () => this.onTimeout(slot!, p.req.id));
      slot.current = { ...p, timer };
      slot.worker.postMessage(p.req);
    }
  }

  private newSlot(): Slot {
    const worker = this.spawn();
    const slot: Slot = { worker, current: null };
    worker.on('message', (m: WorkerResponse) => this.onMessage(slot, m));
    worker.on('error', (e: Error) => this.onCrash(slot, e));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) this.onCrash(slot, new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  private onMessage(slot: Slot, m: WorkerResponse): void {
    const cur = slot.current;
    if (!cur || cur.req.id !== m.id) return;
    cur.timer.cancel();
    slot.current = null;
    if (m.ok) cur.resolve(m.output);
    else cur.reject(new NodeError(m.code as ErrorCode, m.message, m.details));
    this.pump();
  }

  private onTimeout(slot: Slot, id: number): void {
    const cur = slot.current;
    if (!cur || cur.req.id !== id) return;
    this.logger.warn('infer.worker_timeout', { modelKey: cur.req.key, timeoutMs: cur.timeoutMs });
    slot.current = null;
    this.replace(slot);
    cur.reject(
      new NodeError(
        'TIMEOUT',
        `model ${cur.req.key} did not finish within ${cur.timeoutMs} ms; its worker was replaced`,
      ),
    );
  }

  private onCrash(slot: Slot, e: Error): void {
    if (!this.slots.includes(slot)) return;
    const cur = slot.current;
    this.logger.error('infer.worker_crashed', { modelKey: cur?.req.key ?? null, error: e.message });
    slot.current = null;
    this.replace(slot);
    if (cur) {
      cur.timer.cancel();
      cur.reject(new NodeError('INFERENCE_FAILED', `inference worker failed: ${e.message}`));
    }
  }

  /** Terminates a slot's worker and puts a fresh one in its place. */
  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.replaced++;
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate();
    if (!this.closed) {
      this.slots.push(this.newSlot());
      this.pump();
    }
  }
}
