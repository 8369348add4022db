import fs from 'node:fs/promises';

/**
 * A temp file opened ahead of the next C-STORE of an association, so that creating it is off the
 * acknowledgement path: the SCP prepares one after each response, while the sender reads its next
 * file, and the next data set is written to it from its first byte. Either a write takes it, or
 * `discard` closes and removes it (association end); start-up removes any left by a crash.
 */
export class PreparedTempFile {
  private readonly opened: Promise<fs.FileHandle | null>;
  private state: 'ready' | 'taken' | 'discarded' = 'ready';
  private openError: unknown = null;

  constructor(readonly path: string) {
    this.opened = fs.open(path, 'wx', 0o640).catch((e: unknown) => {
      this.openError = e;
      return null;
    });
  }

  /** Hands the file to a writer (once); rejects with the open's error when it could not be made. */
  async take(): Promise<fs.FileHandle> {
    if (this.state !== 'ready') throw new Error('the prepared temp file was already used');
    this.state = 'taken';
    const fh = await this.opened;
    if (!fh) throw this.openError;
    return fh;
  }

  /** Closes and removes the file unless a writer took it. */
  async discard(): Promise<void> {
    if (this.state !== 'ready') return;
    this.state = 'discarded';
    const fh = await this.opened;
    if (!fh) return;
    await fh.close().catch(() => undefined);
    await fs.rm(this.path, { force: true }).catch(() => undefined);
  }
}
