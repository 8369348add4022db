import fs from 'node:fs/promises';
import { OutOfResourcesError } from '../pipeline/errors';

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
  if (free < minFreeMb * 1024 * 1024) {
    throw new OutOfResourcesError(
      `free disk space ${Math.floor(free / (1024 * 1024))} MiB is below storage.minFreeMb ${minFreeMb} MiB`,
    );
  }
}
