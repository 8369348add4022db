import fs from 'node:fs';
import type { Logger } from '../logging/logger';
import type { ScheduledJob } from './jobScheduler';

export interface DiskWatermarkOptions {
  dataDir: string;
  /** storage.minFreeMb. */
  minFreeMb: number;
  logger: Logger;
  metrics?: { diskFreeMeasured(bytes: number): void };
  /** Free bytes on the data directory's file system (default fs.statfs). */
  diskFreeBytes?: (dir: string) => Promise<number | null>;
  /** Cron expression; default every minute. */
  schedule?: string;
}

async function statfsFree(dir: string): Promise<number | null> {
  try {
    const s = await fs.promises.statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/**
 * Measures free disk on the data directory, reports it to the metrics and warns when it is below
 * storage.minFreeMb (the store then refuses instances with 0xA700 and readyz turns red).
 */
export function diskWatermarkJob(o: DiskWatermarkOptions): ScheduledJob {
  let below = false;
  return {
    name: 'disk-watermark',
    schedule: o.schedule ?? '* * * * *',
    run: async () => {
      const free = await (o.diskFreeBytes ?? statfsFree)(o.dataDir);
      if (free === null) throw new Error(`cannot measure free space of ${o.dataDir}`);
      o.metrics?.diskFreeMeasured(free);
      const mib = Math.floor(free / 1048576);
      const isBelow = free < o.minFreeMb * 1048576;
      if (isBelow) o.logger.warn('jobs.disk.below_watermark', { freeMb: mib, minFreeMb: o.minFreeMb });
      else if (below) o.logger.info('jobs.disk.above_watermark', { freeMb: mib, minFreeMb: o.minFreeMb });
      below = isBelow;
      return `${mib} MiB free (watermark ${o.minFreeMb} MiB)${isBelow ? ': BELOW the watermark' : ''}`;
    },
  };
}
