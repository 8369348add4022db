import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { WorkerPool } from '../../../src/infer/worker/WorkerPool';
import type { WorkerRequest } from '../../../src/infer/worker/protocol';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';

/** A stand-in for a worker thread: records what it is sent, answers when told. */
class FakeWorker extends EventEmitter {
  posted: WorkerRequest[] = [];
  terminated = false;
  unreferenced = false;
  postMessage(m: WorkerRequest): void {
    this.posted.push(m);
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  unref(): void {
    this.unreferenced = true;
  }
  answer(
    output: unknown = {
      outOfScope: false,
      reason: null,
      findings: [],
      measurements: [],
      algorithmParameters: {},
      stageMs: {},
    },
  ): void {
    this.emit('message', { id: this.posted[this.posted.length - 1].id, ok: true, output });
  }
}

const request = {
  modelPath: '/m.onnx',
  key: 'm@1.0.0',
  manifest: {} as WorkerRequest['manifest'],
  instances: [],
  settings: {},
};

describe('WorkerPool (fake workers, fake clock)', () => {
  let clock: FakeClock;
  let workers: FakeWorker[];
  let pool: WorkerPool;

  beforeEach(() => {
    clock = new FakeClock();
    workers = [];
    pool = new WorkerPool({
      size: 2,
      clock,
      logger: silentLogger,
      spawn: () => {
        const w = new FakeWorker();
        workers.push(w);
        return w as unknown as Worker;
      },
    });
  });

  it('runs at most `size` at once and hands the next queued run to the first free worker', async () => {
    const runs = [pool.run(request, 1000), pool.run(request, 1000), pool.run(request, 1000)];
    expect(workers).toHaveLength(2);
    expect(pool.stats()).toEqual({ workers: 2, busy: 2, queued: 1, replaced: 0, retiring: 0 });
    workers[1].answer();
    await runs[1];
    expect(workers[1].posted).toHaveLength(2);
    workers[0].answer();
    workers[1].answer();
    await Promise.all(runs);
    expect(pool.stats()).toEqual({ workers: 2, busy: 0, queued: 0, replaced: 0, retiring: 0 });
    await pool.close();
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it('times out on the clock, replaces the worker, and terminates the old one only when its native call returns', async () => {
    const run = pool.run(request, 1000);
    clock.advance(999);
    expect(pool.stats().busy).toBe(1);
    clock.advance(1);
    await expect(run).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(pool.stats()).toEqual({ workers: 1, busy: 0, queued: 0, replaced: 1, retiring: 1 });
    expect(workers[0].terminated).toBe(false);
    workers[0].answer(); // the late answer is dropped; the retired worker is terminated now
    expect(workers[0].terminated).toBe(true);
    const next = pool.run(request, 1000);
    expect(workers[1].posted).toHaveLength(1);
    workers[1].answer();
    await expect(next).resolves.toMatchObject({ outOfScope: false });
    await pool.close();
  });

  it('rejects the run of a crashed worker and replaces it', async () => {
    const run = pool.run(request, 1000);
    workers[0].emit('error', new Error('out of memory'));
    await expect(run).rejects.toMatchObject({
      code: 'INFERENCE_FAILED',
      message: 'inference worker failed: out of memory',
    });
    expect(workers[0].terminated).toBe(true);
    expect(pool.stats()).toMatchObject({ workers: 1, replaced: 1, retiring: 0 });
    await pool.close();
  });

  it('passes the typed error of a failed run through', async () => {
    const run = pool.run(request, 1000);
    workers[0].emit('message', {
      id: workers[0].posted[0].id,
      ok: false,
      code: 'INFERENCE_FAILED',
      message: 'bad input',
      details: ['graph inputs: image'],
    });
    await expect(run).rejects.toMatchObject({
      code: 'INFERENCE_FAILED',
      message: 'bad input',
      details: ['graph inputs: image'],
    });
    await pool.close();
  });

  it('close waits for a busy worker at most the grace period, then leaves it unreferenced', async () => {
    const run = pool.run(request, 60_000);
    const closed = pool.close(5000);
    await expect(run).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    let done = false;
    void closed.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(5000);
    await closed;
    expect(workers[0]).toMatchObject({ terminated: false, unreferenced: true });
    await expect(pool.run(request, 1000)).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });
});
