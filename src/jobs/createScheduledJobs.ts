import type { Db } from '../db/openDatabase';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';
import { AuditChainCheck, type ChainVerificationResult } from './auditChainCheck';
import { deliveryRetryJob } from './deliveryRetryJob';
import { diskWatermarkJob } from './diskWatermarkJob';
import { JobScheduler } from './jobScheduler';
import { retentionPurgeJob } from './retentionPurge';

/** What the node's scheduled jobs need; src/app.ts passes the real implementations. */
export interface JobsDeps {
  db: Db;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  audit: AuditSink;
  /** storage.retentionDays and storage.minFreeMb. */
  storage: { retentionDays: number; minFreeMb: number };
  metrics?: { diskFreeMeasured(bytes: number): void; auditChainChecked(ok: boolean): void };
  /** The delivery outbox's due-retry pass. */
  processDueDeliveries: () => Promise<unknown> | unknown;
  /** src/audit verifyAuditChain over the database. */
  verifyAuditChain: () => ChainVerificationResult;
  diskFreeBytes?: (dir: string) => Promise<number | null>;
  /** Cron expressions by job name, overriding the defaults. */
  schedules?: Partial<
    Record<'retention-purge' | 'disk-watermark' | 'delivery-retry' | 'audit-chain-check', string>
  >;
}

/**
 * The node's four scheduled jobs (PRODUCT.md 7), registered but not started: retention purge,
 * disk watermark, due delivery retries and audit chain verification. Call `scheduler.start()`.
 */
export function createScheduledJobs(d: JobsDeps): { scheduler: JobScheduler; auditChain: AuditChainCheck } {
  const scheduler = new JobScheduler({
    clock: d.clock,
    logger: d.logger.child({ stage: 'jobs' }),
    audit: d.audit,
  });
  const logger = d.logger.child({ stage: 'jobs' });
  const auditChain = new AuditChainCheck({
    verify: d.verifyAuditChain,
    logger,
    metrics: d.metrics,
    audit: d.audit,
    schedule: d.schedules?.['audit-chain-check'],
  });
  scheduler.register(
    retentionPurgeJob({
      db: d.db,
      dataDir: d.dataDir,
      audit: d.audit,
      logger,
      retentionDays: d.storage.retentionDays,
      schedule: d.schedules?.['retention-purge'],
    }),
  );
  scheduler.register(
    diskWatermarkJob({
      dataDir: d.dataDir,
      minFreeMb: d.storage.minFreeMb,
      logger,
      metrics: d.metrics,
      diskFreeBytes: d.diskFreeBytes,
      schedule: d.schedules?.['disk-watermark'],
    }),
  );
  scheduler.register(
    deliveryRetryJob({ processDue: d.processDueDeliveries, schedule: d.schedules?.['delivery-retry'] }),
  );
  scheduler.register(auditChain.job());
  return { scheduler, auditChain };
}
