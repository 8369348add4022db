import type { ScheduledJob } from './jobScheduler';

export interface DeliveryRetryOptions {
  /**
   * The delivery outbox: sends every delivery whose next attempt is due; resolves to how many
   * were attempted, or to the outcomes (an array: its length is reported).
   */
  processDue: () => Promise<unknown> | unknown;
  /** Cron expression; default every 10 seconds. */
  schedule?: string;
}

/** Retries due deliveries (PRODUCT.md 6): the outbox decides what is due with its own clock. */
export function deliveryRetryJob(o: DeliveryRetryOptions): ScheduledJob {
  return {
    name: 'delivery-retry',
    schedule: o.schedule ?? '*/10 * * * * *',
    run: async () => {
      const r = await o.processDue();
      const n = typeof r === 'number' ? r : Array.isArray(r) ? r.length : null;
      return n === null ? 'due deliveries processed' : `${n} due deliveries processed`;
    },
  };
}
