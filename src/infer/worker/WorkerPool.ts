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
  /** Replaced workers still finishing a native call before they are terminated. */
  retiring: number;
}

/**
 * A bounded set of inference worker threads: at most `size` runs at once, the rest queue in order.
 * Each run has a timeout on the injected clock; a run that times out is rejected at once, its
 * worker leaves the pool and a fresh one takes its place. The old worker is terminated as soon as
 * onnxruntime's native call returns: terminating a thread while native inference is still running
 * aborts the whole process (onnxruntime-node 1.30), so it is retired rather than killed mid-call.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly size: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly spawn: () => Worker;
  /** Workers out of the pool, terminated once their current native call returns. */
  private readonly retiring = new Map<Worker, Promise<void>>();
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
      retiring: this.retiring.size,
    };
  }

  /**
   * Rejects queued and running runs and terminates every worker; resolves once all have exited
   * (a worker busy in native code is terminated when that call returns) or, at the latest, after
   * `graceMs` on the clock: a worker still stuck then is unreferenced and left to end with the
   * process.
   */
  async close(graceMs = 30_000): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.reject(new NodeError('MODEL_UNAVAILABLE', 'inference pool closed'));
    const slots = this.slots.splice(0);
    for (const s of slots) {
      const busy = s.current !== null;
      if (s.current) {
        s.current.timer.cancel();
        s.current.reject(new NodeError('MODEL_UNAVAILABLE', 'inference pool closed'));
        s.current = null;
      }
      this.retire(s.worker, busy);
    }
    if (this.retiring.size === 0) return;
    let timer: TimerHandle | null = null;
    const grace = new Promise<'grace'>((resolve) => {
      timer = this.clock.setTimer(graceMs, () => resolve('grace'));
    });
    const outcome = await Promise.race([Promise.all([...this.retiring.values()]), grace]);
    (timer as TimerHandle | null)?.cancel();
    if (outcome === 'grace') {
      this.logger.warn('infer.worker_left_running', { workers: this.retiring.size, graceMs });
      for (const w of this.retiring.keys()) w.unref();
    }
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
    this.replace(slot, false);
    if (cur) {
      cur.timer.cancel();
      cur.reject(new NodeError('INFERENCE_FAILED', `inference worker failed: ${e.message}`));
    }
  }

  /** Takes a slot's worker out of the pool (retired) and puts a fresh one in its place. */
  private replace(slot: Slot, busy = true): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.replaced++;
    this.retire(slot.worker, busy);
    if (!this.closed) {
      this.slots.push(this.newSlot());
      this.pump();
    }
  }

  /** Terminates a worker now when idle, else as soon as it answers or exits. */
  private retire(worker: Worker, busy: boolean): void {
    if (this.retiring.has(worker)) return;
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    const done = new Promise<void>((resolve) => {
      const finish = (): void => {
        worker.removeAllListeners();
        void worker.terminate().finally(() => {
          this.retiring.delete(worker);
          resolve();
        });
      };
      if (!busy) return finish();
      worker.once('message', finish);
      worker.once('error', finish);
      worker.once('exit', finish);
    });
    this.retiring.set(worker, done);
  }
}
