import type { ScheduledJob } from './jobScheduler';

export interface DeliveryRetryOptions {
  /** The delivery outbox: sends every delivery whose next attempt is due; resolves to how many. */
  processDue: () => Promise<number | void> | number | void;
  /** Cron expression; default every 10 seconds. */
  schedule?: string;
}

/** Retries due deliveries (PRODUCT.md 6): the outbox decides what is due with its own clock. */
export function deliveryRetryJob(o: DeliveryRetryOptions): ScheduledJob {
  return {
    name: 'delivery-retry',
    schedule: o.schedule ?? '*/10 * * * * *',
    run: async () => {
      const n = await o.processDue();
      return typeof n === 'number' ? `${n} due deliveries processed` : 'due deliveries processed';
    },
  };
}
