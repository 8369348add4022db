/** Scheduled jobs (node-cron triggers, injected Clock for decisions). */
export {
  JobScheduler,
  type ScheduledJob,
  type ScheduledJobStatus,
  type RunOutcome,
  type JobSchedulerOptions,
} from './jobScheduler';
export { createScheduledJobs, type JobsDeps } from './createScheduledJobs';
export {
  retentionPurgeJob,
  purgeRetention,
  type RetentionPurgeOptions,
  type RetentionSummary,
} from './retentionPurge';
export { diskWatermarkJob, type DiskWatermarkOptions } from './diskWatermarkJob';
export { deliveryRetryJob, type DeliveryRetryOptions } from './deliveryRetryJob';
export {
  AuditChainCheck,
  type AuditChainCheckOptions,
  type AuditChainVerdict,
  type ChainVerificationResult,
} from './auditChainCheck';
