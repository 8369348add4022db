import { performance } from 'node:perf_hooks';

/** Options of the policy; the defaults suit a local disk. */
export interface SyncWritePolicyOptions {
  /** Monotonic milliseconds (performance.now by default; a test injects its own). */
  now?: () => number;
  /** A synchronous write slower than this (the disk pushing back) sends writes to the thread pool. */
  stallMs?: number;
  /** How long writes then stay on the thread pool before the event loop is tried again. */
  cooldownMs?: number;
  /** Told of each switch to the thread pool, with the duration of the write that caused it. */
  onStall?: (writeMs: number, cooldownMs: number) => void;
}

/** A write of a few hundred KiB into the page cache takes well under a millisecond. */
export const DEFAULT_STALL_MS = 20;
export const DEFAULT_COOLDOWN_MS = 10_000;

/**
 * Decides where temp-file writes run, for every writer of a store. On the event loop
 * (`writevSync`) by default: a write into the page cache costs tens of microseconds, less than
 * the two thread hand-offs of a thread-pool write, and on a machine with few cores those
 * hand-offs also take CPU from the sender (docs/performance.md "Ingest"). A synchronous write
 * slower than `stallMs` means the disk is pushing back (dirty-page throttling, a failing or
 * network device): writes then go to the thread pool for `cooldownMs`, so a slow disk holds the
 * event loop (other associations, the HTTP edge) for at most one write per cool-down.
 */
export class SyncWritePolicy {
  private readonly now: () => number;
  private readonly stallMs: number;
  private readonly cooldownMs: number;
  /** Until when (monotonic ms) writes stay on the thread pool. */
  private poolUntil = -Infinity;

  constructor(private readonly opts: SyncWritePolicyOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
    this.cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  }

  /** Whether the next write may run on the event loop. */
  useSync(): boolean {
    return this.now() >= this.poolUntil;
  }

  /** Runs one synchronous write and times it; its result or error passes through. */
  timed<T>(write: () => T): T {
    const started = this.now();
    try {
      return write();
    } finally {
      const ms = this.now() - started;
      if (ms > this.stallMs) {
        this.poolUntil = this.now() + this.cooldownMs;
        this.opts.onStall?.(ms, this.cooldownMs);
      }
    }
  }
}
