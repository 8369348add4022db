import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { LimitExceededError, OutOfResourcesError, type NodeError } from '../pipeline/errors';
import { createFileSync, type OpenFile } from './openFile';
import type { SyncWritePolicy } from './syncWritePolicy';

/** Options of one temp-file write. */
export interface InstanceFileWriterOptions {
  /** The temp file to create (must not exist); a name the node made. */
  tempPath: string;
  /** Creates the file at `tempPath` once the precheck passed; default createFileSync (tests wrap it). */
  open?: (tempPath: string) => OpenFile;
  /** Bytes written before the first chunk (preamble + File Meta Information). */
  prefix?: Buffer;
  /** Largest number of chunk bytes accepted (the prefix is not counted). */
  maxBytes: number;
  /** Runs before the file is created; a throw puts the writer in its failed state. */
  precheck?: () => Promise<void>;
  /** Called once when `maxBytes` is exceeded, after the temp file was removed. */
  onLimitExceeded?: (e: LimitExceededError) => void;
  /**
   * Where the writes run: on the event loop while the policy allows it, otherwise (and without
   * a policy) on the thread pool.
   */
  syncWrites?: SyncWritePolicy;
  /**
   * Early write-back: once this many bytes were written since the last one started, and none is
   * in flight, an fdatasync(2) of what is written so far starts on the thread pool while the
   * rest arrives, so the fsync of `commit` waits only for the tail of the file. 0 or absent: off.
   */
  writeBackBytes?: number;
}

/** How a write ended. */
export interface WriteOutcome {
  /** Chunk bytes received (prefix excluded). */
  bytes: number;
  /** The first bytes of the file (prefix included), at most HEAD_BYTES. */
  head: Buffer;
  /** Size of the file: prefix + chunk bytes. */
  fileSize: number;
  /**
   * The first failure; null when every byte was written to the (still open) temp file, which
   * `commit` then makes durable under its final name, or `discard` removes.
   */
  error: NodeError | null;
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** Bytes kept from the start of the file, so its header is read without reading it back. */
export const HEAD_BYTES = 64 * 1024;

/**
 * A Writable that streams into a temp file. It never errors and never stops draining: after the
 * first failure (free disk below the watermark, ENOSPC, size limit) it keeps accepting and
 * discarding data, so a producer that awaits 'drain' is never stuck; the failure is reported by
 * `outcome()`. Once the data ended without failure the file stays open for its owner, who
 * either `commit`s it (rename to the final name, fsync of file and folder) or `discard`s it.
 * Destroying it before then (association aborted) closes and removes the temp file.
 */
export class InstanceFileWriter extends Writable {
  private fh: OpenFile | null = null;
  /** Where the file is now: the temp path, then the final path once renamed. */
  private path: string;
  private committed = false;
  /** The preamble and File Meta Information, written together with the first chunks. */
  private pendingPrefix: Buffer | null;
  private bytes = 0;
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;
  private error: NodeError | null = null;
  /** The write in flight, if any; settles (never rejects) once its outcome is handled. */
  private writing: Promise<void> | null = null;
  /** Bytes written since the last early write-back started. */
  private unsynced = 0;
  /** The early write-back in flight, if any; never rejects (its error is kept below). */
  private writeBack: Promise<void> | null = null;
  /** The first failed early write-back: the file is not durable, whatever a later fsync says. */
  private writeBackError: unknown = null;
  private readonly done: Promise<WriteOutcome>;
  private readonly whenClosed: Promise<void>;

  constructor(private readonly opts: InstanceFileWriterOptions) {
    // autoDestroy off: the file handle outlives 'finish' until commit() or discard().
    super({ highWaterMark: 256 * 1024, autoDestroy: false });
    this.path = opts.tempPath;
    this.pendingPrefix = opts.prefix?.length ? opts.prefix : null;
    if (opts.prefix) this.keepHead(opts.prefix);
    this.whenClosed = new Promise((resolve) => this.once('close', () => resolve()));
    this.done = new Promise((resolve) => {
      const outcome = (error: NodeError | null): WriteOutcome => ({
        bytes: this.bytes,
        head: Buffer.concat(this.headChunks),
        fileSize: (this.opts.prefix?.length ?? 0) + this.bytes,
        error,
      });
      let settled = false;
      this.once('finish', () => {
        settled = true;
        resolve(outcome(this.error));
      });
      // After 'finish' (the usual case) there is nothing left to report: no head copy, no error.
      this.once('close', () => {
        if (settled) return;
        resolve(
          outcome(this.error ?? new OutOfResourcesError('the transfer ended before the last fragment')),
        );
      });
    });
  }

  /** Where the file is now: its temp path, then its final path once committed. */
  get filePath(): string {
    return this.path;
  }

  /** Resolves once the data ended (written or failed) or the writer was destroyed. */
  outcome(): Promise<WriteOutcome> {
    return this.done;
  }

  /**
   * Makes the written file durable under `finalPath` (a name the node made, in an existing
   * folder): rename(2) of the open temp file (synchronous: a metadata change of tens of
   * microseconds, which would cost two thread-pool hand-offs on the acknowledgement path as an
   * asynchronous call), then fsync of the file and `syncFolder` (fsync of
   * the folder that now holds the name) at the same time. The rename comes first so that one
   * journal commit of the file system carries the data, the inode and the new directory entry;
   * the folder fsync then finds little or nothing left to wait for. Resolves once both fsyncs
   * returned; the handle is closed afterwards, off the acknowledgement path. On failure the file
   * is removed (under whichever name it has) and OutOfResourcesError is thrown. A crash between
   * the rename and the fsyncs leaves an unacknowledged file under a final name that no index row
   * names: start-up deals with it (InstanceStore.recoverOrphanFiles).
   */
  async commit(finalPath: string, syncFolder: () => Promise<void>): Promise<void> {
    const fh = this.fh;
    if (!fh || this.error || !this.writableFinished || this.committed) {
      throw this.error ?? new OutOfResourcesError('the instance file is not ready to be filed');
    }
    try {
      fsSync.renameSync(this.path, finalPath);
      this.path = finalPath;
      // Both fsyncs before any success is sent (PRODUCT.md 1). An early write-back still in
      // flight runs alongside: fsync(2) writes the tail and waits for the pages already under
      // write-back. Its failure fails the instance: Linux reports a write-back error to one
      // fsync per file, so the final fsync may not see it again.
      await Promise.all([fh.sync(), syncFolder(), this.writeBackDone()]);
    } catch (e) {
      this.destroy();
      await this.whenClosed;
      throw toNodeError(e);
    }
    this.committed = true;
    this.destroy();
  }

  /** Closes and removes the file (invalid, duplicate or refused instance). */
  async discard(): Promise<void> {
    this.destroy();
    await this.whenClosed;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    void (async () => {
      try {
        await this.opts.precheck?.();
        this.fh = (this.opts.open ?? createFileSync)(this.path);
      } catch (e) {
        await this.fail(e);
      }
      callback();
    })();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.error || !this.fh) return callback();
    let n = 0;
    for (const c of chunks) n += c.chunk.length;
    this.bytes += n;
    for (const c of chunks) this.keepHead(c.chunk);
    if (this.bytes > this.opts.maxBytes) {
      const e = new LimitExceededError(`the dataset exceeds the limit of ${this.opts.maxBytes} bytes`);
      // The temp file is gone before the producer hears of it (it aborts the association).
      void this.fail(e).then(() => {
        this.opts.onLimitExceeded?.(e);
        callback();
      });
      return;
    }
    const buffers = chunks.map((c) => c.chunk);
    if (this.pendingPrefix) buffers.unshift(this.pendingPrefix);
    this.unsynced += n + (this.pendingPrefix?.length ?? 0);
    this.pendingPrefix = null;
    this.writeThen(this.fh, buffers, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const fh = this.fh;
    const prefix = this.pendingPrefix;
    this.pendingPrefix = null;
    if (this.error || !fh || !prefix) return callback();
    // No chunk at all: the file is the prefix alone (the header check refuses it).
    this.writeThen(fh, [prefix], callback);
  }

  /**
   * One write at a time (the Writable calls `_writev` again only after `callback`): while a
   * thread-pool write runs, later data waits in the stream's buffer, so 'drain' bounds memory.
   * A synchronous write (the policy's choice, normally) returns before the next chunk arrives.
   * Concurrent positional writes were measured and not kept (docs/performance.md "Ingest").
   */
  private writeThen(fh: OpenFile, buffers: Buffer[], callback: () => void): void {
    const policy = this.opts.syncWrites;
    if (policy?.useSync()) {
      try {
        policy.timed(() => writeAllSync(fh.fd, buffers));
      } catch (e) {
        this.writing = this.fail(e).then(() => callback());
        return;
      }
      this.startWriteBack(fh);
      callback();
      return;
    }
    this.writing = writeAll(fh, buffers).then(
      () => {
        this.startWriteBack(fh);
        callback();
      },
      (e: unknown) => void this.fail(e).then(() => callback()),
    );
  }

  /**
   * Starts an early write-back (fdatasync on the thread pool) when `writeBackBytes` were written
   * since the last one started and none is in flight. Linux writes the pages out while later
   * data still arrives; the fsync of `commit` then has only the tail to write (0.2 ms less
   * for a 512 KiB instance on the bench VM, 140 ms for a 200 MiB one; docs/performance.md
   * "Ingest").
   */
  private startWriteBack(fh: OpenFile): void {
    const threshold = this.opts.writeBackBytes ?? 0;
    if (threshold <= 0 || this.writeBack || this.unsynced < threshold || this.fh !== fh) return;
    this.unsynced = 0;
    this.writeBack = fh.datasync().then(
      () => {
        this.writeBack = null;
      },
      (e: unknown) => {
        this.writeBackError ??= e;
        this.writeBack = null;
      },
    );
  }

  /** Waits for the early write-back in flight; throws when any failed. */
  private async writeBackDone(): Promise<void> {
    await this.writeBack;
    if (this.writeBackError) throw this.writeBackError;
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = null;
    void (async () => {
      // The write and write-back in flight settle first: neither outlives the descriptor.
      await this.writing;
      await this.writeBack;
      await fh?.close().catch(() => undefined);
      if (!this.committed) await fs.rm(this.path, { force: true }).catch(() => undefined);
      callback(err);
    })();
  }

  private keepHead(b: Buffer): void {
    if (this.headLength >= HEAD_BYTES) return;
    const part = Buffer.from(b.subarray(0, HEAD_BYTES - this.headLength));
    this.headChunks.push(part);
    this.headLength += part.length;
  }

  /** Records the first failure, closes and removes the temp file; later data is discarded. */
  private async fail(e: unknown): Promise<void> {
    if (!this.error) this.error = toNodeError(e);
    const fh = this.fh;
    this.fh = null;
    await this.writeBack;
    await fh?.close().catch(() => undefined);
    await fs.rm(this.path, { force: true }).catch(() => undefined);
  }
}

/** writev until every byte is written (a regular file may take fewer bytes than asked). */
async function writeAll(fh: OpenFile, buffers: Buffer[]): Promise<void> {
  let left = totalLength(buffers);
  while (left > 0) {
    const { bytesWritten } = await fh.writev(buffers);
    buffers = afterWritten(buffers, bytesWritten);
    left -= bytesWritten;
  }
}

/** The same, on the calling thread (writev(2) into the page cache). */
function writeAllSync(fd: number, buffers: Buffer[]): void {
  let left = totalLength(buffers);
  while (left > 0) {
    const bytesWritten = fsSync.writevSync(fd, buffers);
    buffers = afterWritten(buffers, bytesWritten);
    left -= bytesWritten;
  }
}

function totalLength(buffers: Buffer[]): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  return total;
}

/** The bytes of `buffers` after the first `bytesWritten`; throws when a write made no progress. */
function afterWritten(buffers: Buffer[], bytesWritten: number): Buffer[] {
  if (bytesWritten <= 0) throw new OutOfResourcesError('the instance could not be written (no progress)');
  let skip = bytesWritten;
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return rest;
}

function toNodeError(e: unknown): NodeError {
  if (e instanceof LimitExceededError || e instanceof OutOfResourcesError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && NO_SPACE.has(code)) return new OutOfResourcesError(`the disk is full (${code})`);
  return new OutOfResourcesError(
    `the instance could not be written (${code ?? (e as Error)?.message ?? String(e)})`,
  );
}
