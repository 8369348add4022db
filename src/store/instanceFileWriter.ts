import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { LimitExceededError, OutOfResourcesError, type NodeError } from '../pipeline/errors';

/** Options of one temp-file write. */
export interface InstanceFileWriterOptions {
  /** The temp file to create (must not exist); a name the node made. */
  tempPath: string;
  /** Bytes written before the first chunk (preamble + File Meta Information). */
  prefix?: Buffer;
  /** Largest number of chunk bytes accepted (the prefix is not counted). */
  maxBytes: number;
  /** Runs before the file is created; a throw puts the writer in its failed state. */
  precheck?: () => Promise<void>;
  /** Called once when `maxBytes` is exceeded, after the temp file was removed. */
  onLimitExceeded?: (e: LimitExceededError) => void;
}

/** How a write ended. */
export interface WriteOutcome {
  /** Chunk bytes received (prefix excluded). */
  bytes: number;
  /** The first bytes of the file (prefix included), at most HEAD_BYTES. */
  head: Buffer;
  /** Size of the file: prefix + chunk bytes. */
  fileSize: number;
  /** The first failure; null when every byte is on disk and fsynced. */
  error: NodeError | null;
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** Bytes kept from the start of the file, so its header is read without reading it back. */
export const HEAD_BYTES = 64 * 1024;

/**
 * A Writable that streams into a temp file and fsyncs it on end. It never errors and never
 * stops draining: after the first failure (free disk below the watermark, ENOSPC, size limit)
 * it keeps accepting and discarding data, so a producer that awaits 'drain' is never stuck;
 * the failure is reported by `outcome()`. Destroying it (association aborted) closes and
 * removes the temp file.
 */
export class InstanceFileWriter extends Writable {
  private fh: fs.FileHandle | null = null;
  private bytes = 0;
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;
  private error: NodeError | null = null;
  private readonly done: Promise<WriteOutcome>;

  constructor(private readonly opts: InstanceFileWriterOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.done = new Promise((resolve) => {
      const outcome = (error: NodeError | null): WriteOutcome => ({
        bytes: this.bytes,
        head: Buffer.concat(this.headChunks),
        fileSize: (this.opts.prefix?.length ?? 0) + this.bytes,
        error,
      });
      this.once('finish', () => resolve(outcome(this.error)));
      this.once('close', () =>
        resolve(
          outcome(this.error ?? new OutOfResourcesError('the transfer ended before the last fragment')),
        ),
      );
    });
  }

  /** Resolves once the data ended (fsynced or failed) or the writer was destroyed. */
  outcome(): Promise<WriteOutcome> {
    return this.done;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    void (async () => {
      try {
        await this.opts.precheck?.();
        this.fh = await fs.open(this.opts.tempPath, 'wx', 0o640);
        if (this.opts.prefix) this.keepHead(this.opts.prefix);
        if (this.opts.prefix?.length) await this.fh.write(this.opts.prefix);
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
    this.fh.writev(chunks.map((c) => c.chunk)).then(
      () => callback(),
      (e: unknown) => void this.fail(e).then(() => callback()),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    void (async () => {
      if (!this.error && this.fh) {
        try {
          await this.fh.sync(); // durable before any success is sent (PRODUCT.md 1)
          await this.fh.close();
          this.fh = null;
        } catch (e) {
          await this.fail(e);
        }
      }
      callback();
    })();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = null;
    void (async () => {
      await fh?.close().catch(() => undefined);
      if (!this.writableFinished || this.error)
        await fs.rm(this.opts.tempPath, { force: true }).catch(() => undefined);
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
    await fh?.close().catch(() => undefined);
    await fs.rm(this.opts.tempPath, { force: true }).catch(() => undefined);
  }
}

function toNodeError(e: unknown): NodeError {
  if (e instanceof LimitExceededError || e instanceof OutOfResourcesError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && NO_SPACE.has(code)) return new OutOfResourcesError(`the disk is full (${code})`);
  return new OutOfResourcesError(
    `the instance could not be written (${code ?? (e as Error)?.message ?? String(e)})`,
  );
}
