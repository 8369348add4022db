import fs from 'node:fs';

/**
 * What the temp-file writer needs of an open file. `fs.promises.FileHandle` has this shape too
 * (tests hand the writer instrumented handles).
 */
export interface OpenFile {
  readonly fd: number;
  /** writev(2) on the thread pool; may write fewer bytes than asked. */
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  /** fsync(2) on the thread pool. */
  sync(): Promise<void>;
  /** fdatasync(2) on the thread pool (the early write-back while data still arrives). */
  datasync(): Promise<void>;
  /** close(2); once. */
  close(): Promise<void>;
}

/**
 * Creates `file` (O_CREAT | O_EXCL, mode 0640: never an existing file) on the calling thread,
 * and closes it there too: a create or a close takes tens of microseconds, like the rename the
 * store already does synchronously, while each on the thread pool costs two thread hand-offs
 * (50 to 65 µs here) and, after the answer, took CPU from the sender reading its next file
 * (docs/performance.md "Ingest"). The fsync stays on the thread pool: it waits for the disk.
 */
export function createFileSync(file: string): OpenFile {
  const fd = fs.openSync(file, 'wx', 0o640);
  let closed = false;
  return {
    fd,
    writev: (buffers) =>
      new Promise((resolve, reject) =>
        fs.writev(fd, buffers, (e, bytesWritten) => (e ? reject(e) : resolve({ bytesWritten }))),
      ),
    sync: () => new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve()))),
    datasync: () => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve()))),
    close: async () => {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}
