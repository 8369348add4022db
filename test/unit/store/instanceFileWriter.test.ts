import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { LimitExceededError, OutOfResourcesError } from '../../../src/pipeline/errors';
import {
  HEAD_BYTES,
  InstanceFileWriter,
  type InstanceFileWriterOptions,
} from '../../../src/store/instanceFileWriter';
import { SyncWritePolicy } from '../../../src/store/syncWritePolicy';
import { tempDir } from '../../helpers/env';

/** What the wrapped file handle saw. */
interface Probe {
  /** writev/write calls so far. */
  calls: number;
  /** Bytes of calls not returned yet, now and at most. */
  outstandingBytes: number;
  maxOutstandingBytes: number;
  /** Calls not returned yet, now and at most. */
  outstanding: number;
  maxOutstanding: number;
  /** Calls still outstanding when close() was called (null: not closed). */
  outstandingAtClose: number | null;
  /** Resolves when the injected failure was thrown. */
  failed: Promise<void>;
}

interface HandleBehaviour {
  /** Milliseconds before each call reaches the real handle (a function: per call). */
  delayMs?: number | ((call: number) => number);
  /** The call (1-based) that rejects with an error carrying this errno code. */
  failAt?: { call: number; code: string };
  /** Every call writes only the first half of what it was asked (at least one byte). */
  shortWrites?: boolean;
}

type WritevFn = (
  buffers: Buffer[],
  position?: number | null,
) => Promise<{ bytesWritten: number; buffers: Buffer[] }>;
type WriteFn = (
  buffer: Buffer,
  offset?: number | null,
  length?: number | null,
  position?: number | null,
) => Promise<{ bytesWritten: number; buffer: Buffer }>;

/**
 * Opens `file` like the writer does and wraps writev/write so that each call is counted while it
 * is outstanding, may be delayed, cut short or made to fail.
 */
async function instrumentedHandle(
  file: string,
  behaviour: HandleBehaviour = {},
): Promise<{ fh: fs.promises.FileHandle; probe: Probe }> {
  const fh = await fs.promises.open(file, 'wx', 0o640);
  let signalFailed!: () => void;
  const probe: Probe = {
    calls: 0,
    outstandingBytes: 0,
    maxOutstandingBytes: 0,
    outstanding: 0,
    maxOutstanding: 0,
    outstandingAtClose: null,
    failed: new Promise((resolve) => (signalFailed = resolve)),
  };
  const handle = fh as unknown as { writev: WritevFn; write: WriteFn; close: () => Promise<void> };
  const realWritev = handle.writev.bind(fh);
  const realWrite = handle.write.bind(fh);
  const realClose = handle.close.bind(fh);

  async function tracked<T>(bytes: number, run: () => Promise<T>): Promise<T> {
    const call = ++probe.calls;
    probe.outstanding++;
    probe.outstandingBytes += bytes;
    probe.maxOutstanding = Math.max(probe.maxOutstanding, probe.outstanding);
    probe.maxOutstandingBytes = Math.max(probe.maxOutstandingBytes, probe.outstandingBytes);
    try {
      const { delayMs } = behaviour;
      const ms = typeof delayMs === 'function' ? delayMs(call) : (delayMs ?? 0);
      if (ms > 0) await sleep(ms);
      if (behaviour.failAt?.call === call) {
        signalFailed();
        const code = behaviour.failAt.code;
        throw Object.assign(new Error(`${code}: injected write failure`), { code });
      }
      return await run();
    } finally {
      probe.outstanding--;
      probe.outstandingBytes -= bytes;
    }
  }

  handle.writev = (buffers, position) => {
    const bytes = buffers.reduce((n, b) => n + b.length, 0);
    return tracked(bytes, async () => {
      if (!behaviour.shortWrites || bytes <= 1) return realWritev(buffers, position);
      const keep = Math.ceil(bytes / 2);
      const part: Buffer[] = [];
      let left = keep;
      for (const b of buffers) {
        if (left === 0) break;
        part.push(b.subarray(0, left));
        left -= Math.min(left, b.length);
      }
      const { bytesWritten } = await realWritev(part, position);
      return { bytesWritten, buffers };
    });
  };
  handle.write = (buffer, offset, length, position) => {
    const bytes = length ?? buffer.length - (offset ?? 0);
    return tracked(bytes, () => realWrite(buffer, offset, length, position));
  };
  handle.close = () => {
    probe.outstandingAtClose ??= probe.outstanding;
    return realClose();
  };
  return { fh, probe };
}

/** A small deterministic generator (mulberry32), so a failing size sequence can be replayed. */
function randomSizes(seed: number, totalBytes: number, maxSize: number): number[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const sizes: number[] = [];
  let total = 0;
  while (total < totalBytes) {
    const size = 1 + Math.floor(next() * maxSize);
    sizes.push(size);
    total += size;
  }
  return sizes;
}

/** Chunks of the given sizes, each with distinct content so a misplaced chunk shows. */
function chunksOf(sizes: number[]): Buffer[] {
  return sizes.map((size, i) => {
    const b = Buffer.alloc(size);
    for (let j = 0; j < size; j++) b[j] = (i * 31 + j * 7) & 0xff;
    return b;
  });
}

/** Writes every chunk, waiting for 'drain' whenever write() says so, then ends the stream. */
async function send(w: InstanceFileWriter, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) if (!w.write(c)) await once(w, 'drain');
  w.end();
}

describe('InstanceFileWriter', () => {
  let dir: string;
  let tempPath: string;
  const prefix = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(200, 0x02)]);

  function writer(o: Partial<InstanceFileWriterOptions> = {}): InstanceFileWriter {
    return new InstanceFileWriter({ tempPath, prefix, maxBytes: 64 * 1024 * 1024, ...o });
  }

  beforeEach(() => {
    dir = tempDir('pacs-ai-node-writer-');
    tempPath = path.join(dir, 'instance.tmp');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['a file opened by the writer', undefined],
    ['writes that complete slowly', (call: number) => [4, 0, 2, 1, 3][call % 5]!],
  ])('chunks of random sizes land in order behind the prefix (%s)', async (_name, delayMs) => {
    const chunks = chunksOf(randomSizes(delayMs ? 7 : 42, 4 * 1024 * 1024, 100 * 1024));
    const handle = delayMs ? await instrumentedHandle(tempPath, { delayMs }) : null;
    const w = writer({ open: handle ? () => handle.fh : undefined });
    await send(w, chunks);
    const out = await w.outcome();
    expect(out.error).toBeNull();
    const expected = Buffer.concat([prefix, ...chunks]);
    expect(out.bytes).toBe(expected.length - prefix.length);
    expect(out.fileSize).toBe(expected.length);
    expect(out.head.equals(expected.subarray(0, HEAD_BYTES))).toBe(true);
    const finalPath = path.join(dir, 'instance.dcm');
    await w.commit(finalPath, async () => {});
    expect(w.filePath).toBe(finalPath);
    expect(fs.existsSync(tempPath)).toBe(false);
    expect(fs.readFileSync(finalPath).equals(expected)).toBe(true);
    if (handle) expect(handle.probe.maxOutstanding).toBe(1); // one write at a time, in order
  });

  test('with no chunk at all the file is the prefix alone', async () => {
    const w = writer();
    w.end();
    const out = await w.outcome();
    expect(out).toMatchObject({ error: null, bytes: 0, fileSize: prefix.length });
    expect(fs.readFileSync(w.filePath).equals(prefix)).toBe(true);
    await w.discard();
    expect(fs.existsSync(tempPath)).toBe(false);
  });

  test('a short write is completed at the position right after the bytes it took', async () => {
    const chunks = chunksOf(randomSizes(3, 512 * 1024, 64 * 1024));
    const { fh, probe } = await instrumentedHandle(tempPath, { shortWrites: true, delayMs: 1 });
    const w = writer({ open: () => fh });
    await send(w, chunks);
    const out = await w.outcome();
    expect(out.error).toBeNull();
    expect(probe.calls).toBeGreaterThan(2 * chunks.length); // every write took several calls
    expect(fs.readFileSync(w.filePath).equals(Buffer.concat([prefix, ...chunks]))).toBe(true);
    await w.discard();
  });

  test('one write at a time; a slow disk holds the producer back through drain', async () => {
    const chunks = chunksOf(randomSizes(11, 6 * 1024 * 1024, 64 * 1024));
    const { fh, probe } = await instrumentedHandle(tempPath, { delayMs: 5 });
    const w = writer({ open: () => fh });
    let maxBuffered = 0;
    for (const c of chunks) {
      const more = w.write(c);
      maxBuffered = Math.max(maxBuffered, w.writableLength);
      if (!more) await once(w, 'drain');
    }
    w.end();
    const out = await w.outcome();
    expect(out.error).toBeNull();
    expect(probe.maxOutstanding).toBe(1);
    // Memory stays bounded by the high-water mark: received buffers wait in the stream, not on the disk.
    expect(maxBuffered).toBeGreaterThan(w.writableHighWaterMark / 2);
    expect(maxBuffered).toBeLessThanOrEqual(w.writableHighWaterMark + 64 * 1024);
    expect(fs.readFileSync(w.filePath).equals(Buffer.concat([prefix, ...chunks]))).toBe(true);
    await w.discard();
  });

  test('a failed write: the error is reported, the temp file removed, later data discarded', async () => {
    const chunks = chunksOf(randomSizes(5, 2 * 1024 * 1024, 64 * 1024));
    const { fh, probe } = await instrumentedHandle(tempPath, {
      delayMs: 3,
      failAt: { call: 3, code: 'EIO' },
    });
    const w = writer({ open: () => fh });
    const first = chunks.slice(0, 20);
    const later = chunks.slice(20);
    for (const c of first) if (!w.write(c)) await once(w, 'drain');
    await probe.failed;
    await nextTurn(); // the writer heard of the failure
    const callsAtFailure = probe.calls;
    await send(w, later); // neither throws nor waits forever
    const out = await w.outcome();
    expect(out.error).toBeInstanceOf(OutOfResourcesError);
    expect(out.error!.message).toContain('EIO');
    expect(fs.existsSync(tempPath)).toBe(false);
    expect(probe.calls).toBe(callsAtFailure); // nothing written after the failure
    expect(probe.outstandingAtClose).toBe(0); // closed once the writes in flight settled
    await expect(w.commit(path.join(dir, 'instance.dcm'), async () => {})).rejects.toBe(out.error);
    await w.discard();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('ENOSPC from a write reports a full disk', async () => {
    const { fh } = await instrumentedHandle(tempPath, { failAt: { call: 1, code: 'ENOSPC' } });
    const w = writer({ open: () => fh });
    await send(w, chunksOf([1000, 70 * 1024, 5]));
    const out = await w.outcome();
    expect(out.error).toBeInstanceOf(OutOfResourcesError);
    expect(out.error!.message).toMatch(/disk is full.*ENOSPC/);
    expect(fs.existsSync(tempPath)).toBe(false);
  });

  test('the size limit removes the temp file before it is reported, with writes in flight', async () => {
    const { fh, probe } = await instrumentedHandle(tempPath, { delayMs: 5 });
    const seen: Array<{ error: unknown; fileExists: boolean; outstanding: number }> = [];
    const onLimitExceeded = (error: LimitExceededError) =>
      seen.push({ error, fileExists: fs.existsSync(tempPath), outstanding: probe.outstanding });
    const w = writer({ open: () => fh, maxBytes: 300 * 1024, onLimitExceeded });
    await send(w, chunksOf(Array<number>(10).fill(64 * 1024)));
    const out = await w.outcome();
    expect(out.error).toBeInstanceOf(LimitExceededError);
    expect(seen).toEqual([{ error: out.error, fileExists: false, outstanding: 0 }]);
    expect(probe.outstandingAtClose).toBe(0);
    expect(fs.existsSync(tempPath)).toBe(false);
  });

  describe('destroy() while writes are in flight', () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    beforeEach(() => {
      unhandled.length = 0;
      process.on('unhandledRejection', onUnhandled);
    });
    afterEach(() => {
      process.off('unhandledRejection', onUnhandled);
    });

    test.each([
      ['the writes then succeed', undefined],
      ['a write then fails', { call: 2, code: 'EIO' }],
    ])('closes and removes the temp file (%s)', async (_name, failAt) => {
      const { fh, probe } = await instrumentedHandle(tempPath, { delayMs: 30, failAt });
      const w = writer({ open: () => fh });
      for (const c of chunksOf(Array<number>(8).fill(32 * 1024))) {
        w.write(c);
        await sleep(1);
      }
      expect(probe.outstanding).toBe(1);
      w.destroy();
      const out = await w.outcome();
      expect(out.error).toBeInstanceOf(OutOfResourcesError);
      if (!w.closed) await once(w, 'close');
      expect(probe.outstanding).toBe(0);
      expect(probe.outstandingAtClose).toBe(0);
      expect(fs.existsSync(tempPath)).toBe(false);
      await sleep(50); // any late rejection would have surfaced by now
      expect(unhandled).toEqual([]);
    });
  });
  describe('writes on the event loop (SyncWritePolicy)', () => {
    type WritevSync = (fd: number, buffers: readonly NodeJS.ArrayBufferView[], position?: number) => number;
    const realWritevSync = fs.writevSync.bind(fs) as WritevSync;
    let t: number;
    let stalls: number[];
    let policy: SyncWritePolicy;
    /** The synchronous writev calls: bytes asked, bytes taken. */
    let syncCalls: Array<{ asked: number; took: number }>;
    /** Replaces one call (1-based) of writevSync; null: the real one. */
    let syncBehaviour: (
      call: number,
      fd: number,
      buffers: readonly NodeJS.ArrayBufferView[],
    ) => number | null;

    beforeEach(() => {
      t = 0;
      stalls = [];
      syncCalls = [];
      syncBehaviour = () => null;
      policy = new SyncWritePolicy({
        now: () => t,
        stallMs: 20,
        cooldownMs: 1_000,
        onStall: (ms) => stalls.push(ms),
      });
      jest.spyOn(fs, 'writevSync').mockImplementation(((
        fd: number,
        buffers: readonly NodeJS.ArrayBufferView[],
      ) => {
        const asked = buffers.reduce((n, b) => n + b.byteLength, 0);
        const took = syncBehaviour(syncCalls.length + 1, fd, buffers) ?? realWritevSync(fd, buffers);
        syncCalls.push({ asked, took });
        return took;
      }) as typeof fs.writevSync);
    });
    afterEach(() => jest.restoreAllMocks());

    test('every chunk is written synchronously, in order behind the prefix; no thread-pool write', async () => {
      const chunks = chunksOf(randomSizes(21, 3 * 1024 * 1024, 100 * 1024));
      const { fh, probe } = await instrumentedHandle(tempPath);
      const w = writer({ open: () => fh, syncWrites: policy });
      await send(w, chunks);
      const out = await w.outcome();
      expect(out.error).toBeNull();
      expect(probe.calls).toBe(0);
      expect(syncCalls.length).toBeGreaterThan(0);
      // Each write() reaches the disk before it returns: nothing waits in the stream's buffer.
      expect(syncCalls.length).toBeGreaterThanOrEqual(chunks.length - 5);
      const expected = Buffer.concat([prefix, ...chunks]);
      expect(out.head.equals(expected.subarray(0, HEAD_BYTES))).toBe(true);
      await w.commit(path.join(dir, 'instance.dcm'), async () => {});
      expect(fs.readFileSync(path.join(dir, 'instance.dcm')).equals(expected)).toBe(true);
    });

    test('a short synchronous write is completed right after the bytes it took', async () => {
      const chunks = chunksOf(randomSizes(9, 512 * 1024, 64 * 1024));
      syncBehaviour = (_call, fd, buffers) => {
        const asked = buffers.reduce((n, b) => n + b.byteLength, 0);
        if (asked <= 1) return null;
        let left = Math.ceil(asked / 2);
        const part: Buffer[] = [];
        for (const b of buffers as Buffer[]) {
          if (left === 0) break;
          part.push(b.subarray(0, left));
          left -= Math.min(left, b.length);
        }
        return realWritevSync(fd, part);
      };
      const w = writer({ syncWrites: policy });
      await send(w, chunks);
      const out = await w.outcome();
      expect(out.error).toBeNull();
      expect(syncCalls.length).toBeGreaterThan(2 * chunks.length);
      expect(syncCalls.every((c) => c.took < c.asked || c.asked <= 1)).toBe(true);
      expect(fs.readFileSync(w.filePath).equals(Buffer.concat([prefix, ...chunks]))).toBe(true);
      await w.discard();
    });

    test.each([
      ['EIO', /could not be written \(EIO\)/],
      ['ENOSPC', /disk is full.*ENOSPC/],
    ])(
      '%s from a synchronous write: reported, temp file removed, later data discarded',
      async (code, message) => {
        syncBehaviour = (call) => {
          if (call === 3) throw Object.assign(new Error(`${code}: injected write failure`), { code });
          return null;
        };
        const w = writer({ syncWrites: policy });
        await send(w, chunksOf(Array<number>(12).fill(40 * 1024)));
        const out = await w.outcome();
        expect(out.error).toBeInstanceOf(OutOfResourcesError);
        expect(out.error!.message).toMatch(message);
        expect(syncCalls).toHaveLength(2); // nothing written after the failure
        expect(fs.existsSync(tempPath)).toBe(false);
        await expect(w.commit(path.join(dir, 'instance.dcm'), async () => {})).rejects.toBe(out.error);
        await w.discard();
        expect(fs.readdirSync(dir)).toEqual([]);
      },
    );

    test('the size limit removes the temp file before it is reported', async () => {
      const seen: boolean[] = [];
      const w = writer({
        syncWrites: policy,
        maxBytes: 300 * 1024,
        onLimitExceeded: () => seen.push(fs.existsSync(tempPath)),
      });
      await send(w, chunksOf(Array<number>(10).fill(64 * 1024)));
      const out = await w.outcome();
      expect(out.error).toBeInstanceOf(LimitExceededError);
      expect(seen).toEqual([false]);
      expect(syncCalls.reduce((n, c) => n + c.took, 0)).toBeLessThanOrEqual(prefix.length + 300 * 1024);
    });

    test('a stalled write moves the rest of the file, and the next writers, to the thread pool until the cool-down ends', async () => {
      const chunks = chunksOf(randomSizes(13, 1024 * 1024, 64 * 1024));
      syncBehaviour = (call) => {
        if (call === 2) t += 50; // the disk pushes back
        return null;
      };
      const first = await instrumentedHandle(tempPath);
      const w = writer({ open: () => first.fh, syncWrites: policy });
      await send(w, chunks);
      expect((await w.outcome()).error).toBeNull();
      expect(stalls).toEqual([50]);
      expect(syncCalls).toHaveLength(2);
      expect(first.probe.calls).toBeGreaterThan(0); // the rest went to the thread pool
      await w.commit(path.join(dir, 'first.dcm'), async () => {});
      expect(fs.readFileSync(path.join(dir, 'first.dcm')).equals(Buffer.concat([prefix, ...chunks]))).toBe(
        true,
      );

      // Another writer during the cool-down: thread pool only.
      tempPath = path.join(dir, 'second.tmp');
      const second = await instrumentedHandle(tempPath);
      const w2 = writer({ open: () => second.fh, syncWrites: policy });
      await send(w2, chunksOf([70 * 1024, 3]));
      expect((await w2.outcome()).error).toBeNull();
      expect(syncCalls).toHaveLength(2);
      expect(second.probe.calls).toBeGreaterThan(0);
      await w2.discard();

      // Once it is over, on the event loop again.
      t += 1_000;
      tempPath = path.join(dir, 'third.tmp');
      const third = await instrumentedHandle(tempPath);
      const w3 = writer({ open: () => third.fh, syncWrites: policy });
      await send(w3, chunksOf([70 * 1024, 3]));
      expect((await w3.outcome()).error).toBeNull();
      expect(syncCalls.length).toBeGreaterThan(2);
      expect(third.probe.calls).toBe(0);
      await w3.discard();
    });
  });

  describe('early write-back (writeBackBytes)', () => {
    /** What the wrapped fdatasync saw. */
    interface WriteBackProbe {
      /** File size (fstat) when each call started. */
      sizesAtCall: number[];
      outstanding: number;
      maxOutstanding: number;
      /** fdatasync calls still outstanding when close() was called (null: not closed). */
      outstandingAtClose: number | null;
      /** Calls to the final fsync. */
      fsyncs: number;
    }

    /**
     * A file handle whose datasync() is counted and, per call, may wait for `gate` or fail
     * with `failWith`; its close() records the datasync calls still outstanding.
     */
    async function handleWithWriteBack(o: { gate?: Promise<void>; failWith?: string } = {}) {
      const fh = await fs.promises.open(tempPath, 'wx', 0o640);
      const probe: WriteBackProbe = {
        sizesAtCall: [],
        outstanding: 0,
        maxOutstanding: 0,
        outstandingAtClose: null,
        fsyncs: 0,
      };
      const handle = fh as unknown as {
        datasync: () => Promise<void>;
        sync: () => Promise<void>;
        close: () => Promise<void>;
      };
      const realDatasync = handle.datasync.bind(fh);
      const realSync = handle.sync.bind(fh);
      const realClose = handle.close.bind(fh);
      handle.datasync = async () => {
        probe.sizesAtCall.push(fs.fstatSync(fh.fd).size);
        probe.outstanding++;
        probe.maxOutstanding = Math.max(probe.maxOutstanding, probe.outstanding);
        try {
          await o.gate;
          if (o.failWith) {
            throw Object.assign(new Error(`${o.failWith}: injected write-back failure`), {
              code: o.failWith,
            });
          }
          await realDatasync();
        } finally {
          probe.outstanding--;
        }
      };
      handle.sync = () => {
        probe.fsyncs++;
        return realSync();
      };
      handle.close = () => {
        probe.outstandingAtClose ??= probe.outstanding;
        return realClose();
      };
      return { fh, probe };
    }

    /** Resolves once `condition` holds, looking every millisecond (the test's timeout bounds it). */
    async function until(condition: () => boolean): Promise<void> {
      while (!condition()) await sleep(1);
    }

    /**
     * Writes each chunk, then waits until `idle` says no write-back is in flight (when given),
     * so that how many start does not depend on how fast the disk is.
     */
    async function sendSlowly(w: InstanceFileWriter, chunks: Buffer[], idle?: () => boolean): Promise<void> {
      for (const c of chunks) {
        if (!w.write(c)) await once(w, 'drain');
        await sleep(1);
        if (idle) await until(idle);
      }
      w.end();
    }

    const loop = () =>
      new SyncWritePolicy({ now: () => 0, stallMs: 20, cooldownMs: 1_000, onStall: () => {} });

    test.each([
      ['on the thread pool', undefined],
      ['on the event loop', loop],
    ])(
      'an fdatasync starts after every writeBackBytes written (%s), and the file is whole',
      async (_name, policy) => {
        const { fh, probe } = await handleWithWriteBack();
        const w = writer({ open: () => fh, writeBackBytes: 100 * 1024, syncWrites: policy?.() });
        const chunks = chunksOf(Array<number>(16).fill(30 * 1024));
        await sendSlowly(w, chunks, () => probe.outstanding === 0 && w.writableLength === 0);
        expect((await w.outcome()).error).toBeNull();
        // 480 KiB + prefix in chunks of 30 KiB: one write-back per 100 KiB or more since the last.
        expect(probe.sizesAtCall.length).toBe(4);
        let last = 0;
        for (const size of probe.sizesAtCall) {
          expect(size - last).toBeGreaterThanOrEqual(100 * 1024);
          last = size;
        }
        await w.commit(path.join(dir, 'instance.dcm'), async () => {});
        expect(probe.fsyncs).toBe(1);
        expect(
          fs.readFileSync(path.join(dir, 'instance.dcm')).equals(Buffer.concat([prefix, ...chunks])),
        ).toBe(true);
      },
    );

    test('one write-back at a time: none starts while one is in flight', async () => {
      let release!: () => void;
      const { fh, probe } = await handleWithWriteBack({ gate: new Promise((r) => (release = r)) });
      const w = writer({ open: () => fh, writeBackBytes: 64 * 1024 });
      await sendSlowly(w, chunksOf(Array<number>(10).fill(40 * 1024)));
      expect((await w.outcome()).error).toBeNull();
      expect(probe.sizesAtCall).toHaveLength(1);
      release();
      await w.commit(path.join(dir, 'instance.dcm'), async () => {});
      expect(probe.maxOutstanding).toBe(1);
    });

    test('commit waits for the write-back in flight before it resolves', async () => {
      let release!: () => void;
      const { fh, probe } = await handleWithWriteBack({ gate: new Promise((r) => (release = r)) });
      const w = writer({ open: () => fh, writeBackBytes: 64 * 1024 });
      await sendSlowly(w, chunksOf([70 * 1024, 10]));
      expect((await w.outcome()).error).toBeNull();
      let committed = false;
      const commit = w.commit(path.join(dir, 'instance.dcm'), async () => {}).then(() => (committed = true));
      await sleep(30);
      expect(probe.fsyncs).toBe(1); // the final fsync runs alongside
      expect(committed).toBe(false);
      release();
      await commit;
      expect(probe.outstanding).toBe(0);
    });

    test('a failed write-back fails the instance although the final fsync succeeds; the file is removed', async () => {
      const { fh, probe } = await handleWithWriteBack({ failWith: 'EIO' });
      const w = writer({ open: () => fh, writeBackBytes: 64 * 1024 });
      await sendSlowly(w, chunksOf([70 * 1024, 10]));
      expect((await w.outcome()).error).toBeNull();
      const finalPath = path.join(dir, 'instance.dcm');
      await expect(w.commit(finalPath, async () => {})).rejects.toThrow(/could not be written \(EIO\)/);
      expect(probe.sizesAtCall).toHaveLength(1);
      expect(fs.existsSync(finalPath)).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    test('destroy closes the descriptor only after the write-back in flight returned', async () => {
      let release!: () => void;
      const { fh, probe } = await handleWithWriteBack({ gate: new Promise((r) => (release = r)) });
      const w = writer({ open: () => fh, writeBackBytes: 64 * 1024 });
      w.write(chunksOf([70 * 1024])[0]!);
      await until(() => probe.outstanding === 1);
      w.destroy();
      await sleep(20);
      expect(w.closed).toBe(false);
      release();
      if (!w.closed) await once(w, 'close');
      expect(probe.outstandingAtClose).toBe(0);
      expect(fs.existsSync(tempPath)).toBe(false);
    });

    test.each([0, undefined])('writeBackBytes %s: no write-back', async (writeBackBytes) => {
      const { fh, probe } = await handleWithWriteBack();
      const w = writer({ open: () => fh, writeBackBytes });
      await sendSlowly(w, chunksOf(Array<number>(8).fill(64 * 1024)));
      expect((await w.outcome()).error).toBeNull();
      await w.commit(path.join(dir, 'instance.dcm'), async () => {});
      expect(probe.sizesAtCall).toEqual([]);
      expect(probe.fsyncs).toBe(1);
    });
  });
});
