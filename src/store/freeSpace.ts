import fs from 'node:fs/promises';
import type { Clock } from '../pipeline/clock';
import { OutOfResourcesError } from '../pipeline/errors';

const MIB = 1024 * 1024;

/** Free bytes available to this process on the file system holding `dir` (statfs bavail). */
export async function freeBytes(dir: string): Promise<number> {
  const s = await fs.statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * Throws OutOfResourcesError when free space under `dir` is below `minFreeMb` MiB: the SCP then
 * answers 0xA700 (PS3.4 B.2.3 Refused: Out of Resources) and the node keeps running.
 */
export async function assertFreeSpace(dir: string, minFreeMb: number): Promise<void> {
  if (minFreeMb <= 0) return;
  const free = await freeBytes(dir);
  if (free < minFreeMb * MIB) throw belowWatermark(free, minFreeMb);
}

function belowWatermark(free: number, minFreeMb: number): OutOfResourcesError {
  return new OutOfResourcesError(
    `free disk space ${Math.floor(free / MIB)} MiB is below storage.minFreeMb ${minFreeMb} MiB`,
  );
}

/** Options of a {@link FreeSpaceGuard}. */
export interface FreeSpaceGuardOptions {
  /** The directory whose file system is watched. */
  dir: string;
  /** storage.minFreeMb; 0 disables the check. */
  minFreeMb: number;
  /** Injected clock (STYLE.md 12): a statfs result is trusted for `maxAgeMs` on it. */
  clock: Clock;
  /** Longest time a statfs result is trusted. Default 1000 ms. */
  maxAgeMs?: number;
  /** Bytes written since the last statfs after which it is repeated. Default 256 MiB. */
  maxBytesBetweenChecks?: number;
  /**
   * Distance to the watermark under which every check calls statfs (no trust in an older
   * result). Default 1024 MiB.
   */
  nearMb?: number;
  /** statfs, injectable for tests. Default {@link freeBytes}. */
  statfs?: (dir: string) => Promise<number>;
}

/**
 * The free-space precheck of every write (storage.minFreeMb), without a statfs per instance:
 * a result is reused while it is younger than `maxAgeMs`, fewer than `maxBytesBetweenChecks`
 * bytes were written since, and the free space it left (minus those bytes) stays more than
 * `nearMb` above the watermark. Near or below the watermark every check asks the file system.
 * ENOSPC during a write is still reported as OutOfResourcesError by the writer.
 */
export class FreeSpaceGuard {
  private lastFree = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private writtenSince = 0;
  private readonly maxAgeMs: number;
  private readonly maxBytes: number;
  private readonly nearBytes: number;
  private readonly statfs: (dir: string) => Promise<number>;

  constructor(private readonly o: FreeSpaceGuardOptions) {
    this.maxAgeMs = o.maxAgeMs ?? 1000;
    this.maxBytes = o.maxBytesBetweenChecks ?? 256 * MIB;
    this.nearBytes = (o.nearMb ?? 1024) * MIB;
    this.statfs = o.statfs ?? freeBytes;
  }

  /** Throws OutOfResourcesError when free disk is below storage.minFreeMb. */
  async check(): Promise<void> {
    if (this.o.minFreeMb <= 0) return;
    const min = this.o.minFreeMb * MIB;
    const now = this.o.clock.now();
    const trusted =
      now - this.lastAt < this.maxAgeMs &&
      now >= this.lastAt &&
      this.writtenSince < this.maxBytes &&
      this.lastFree - this.writtenSince >= min + this.nearBytes;
    if (trusted) return;
    const free = await this.statfs(this.o.dir);
    this.lastFree = free;
    this.lastAt = this.o.clock.now();
    this.writtenSince = 0;
    if (free < min) throw belowWatermark(free, this.o.minFreeMb);
  }

  /** Counts bytes written since the last statfs. */
  written(bytes: number): void {
    this.writtenSince += bytes;
  }
}
