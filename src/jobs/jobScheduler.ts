import cron, { type ScheduledTask as CronTask } from 'node-cron';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';
import { NodeError, NotFoundError } from '../pipeline/errors';

/** One scheduled job: what it does when triggered. Decisions inside use the injected Clock. */
export interface ScheduledJob {
  /** Stable name (`retention-purge`, `disk-watermark`...). */
  name: string;
  /** A cron expression (node-cron syntax, optional seconds field). */
  schedule: string;
  /** Does the work; the string returned is kept as the last message. Throwing marks the run failed. */
  run(now: number): Promise<string> | string;
}

export type RunOutcome = 'ok' | 'failed' | 'skipped-overlap';

/** What the scheduler remembers of a job. */
export interface ScheduledJobStatus {
  name: string;
  schedule: string;
  running: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastOutcome: RunOutcome | null;
  lastMessage: string | null;
  runs: number;
  skipped: number;
}

export interface JobSchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** When given, a failed run and a skipped (overlapping) tick are audited. */
  audit?: AuditSink;
  /** Time zone of the cron expressions (default: the process's). */
  timezone?: string;
}

interface Entry {
  job: ScheduledJob;
  status: ScheduledJobStatus;
  task?: CronTask;
}

/**
 * Registers jobs with a cron schedule, remembers their last run and outcome, and never lets two
 * runs of one job overlap: a tick that finds the previous run still going is skipped and
 * recorded. node-cron only triggers; times come from the injected Clock, so tests call
 * {@link runNow} with a FakeClock.
 */
export class JobScheduler {
  private readonly entries = new Map<string, Entry>();
  private started = false;

  constructor(private readonly opts: JobSchedulerOptions) {}

  /** Adds a job; its cron expression is validated. */
  register(job: ScheduledJob): void {
    if (this.entries.has(job.name))
      throw new NodeError('CONFLICT', `a scheduled job named ${job.name} is already registered`);
    if (!cron.validate(job.schedule))
      throw new NodeError(
        'CONFIG_INVALID',
        `scheduled job ${job.name}: "${job.schedule}" is not a valid cron expression`,
      );
    const entry: Entry = {
      job,
      status: {
        name: job.name,
        schedule: job.schedule,
        running: false,
        lastStartedAt: null,
        lastFinishedAt: null,
        lastOutcome: null,
        lastMessage: null,
        runs: 0,
        skipped: 0,
      },
    };
    this.entries.set(job.name, entry);
    if (this.started) this.schedule(entry);
  }

  /** Starts the cron triggers of every registered job. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const e of this.entries.values()) this.schedule(e);
  }

  /** Stops every trigger; runs in progress finish on their own. */
  async stop(): Promise<void> {
    this.started = false;
    for (const e of this.entries.values()) {
      const t = e.task;
      e.task = undefined;
      if (t) await t.destroy();
    }
  }

  private schedule(e: Entry): void {
    e.task = cron.schedule(
      e.job.schedule,
      async () => {
        await this.runNow(e.job.name);
      },
      { name: `pacs-ai-node:${e.job.name}`, timezone: this.opts.timezone },
    );
  }

  /**
   * Runs a job now, through the same path as a tick: skipped (and recorded) when a run is
   * still going. Resolves with the job's status after this run; never rejects for a job failure.
   */
  async runNow(name: string): Promise<ScheduledJobStatus> {
    const e = this.entries.get(name);
    if (!e) throw new NotFoundError(`no scheduled job ${name}`);
    const st = e.status;
    const iso = (): string => new Date(this.opts.clock.now()).toISOString();
    if (st.running) {
      st.skipped++;
      st.lastOutcome = 'skipped-overlap';
      st.lastMessage = `skipped at ${iso()}: the run started ${st.lastStartedAt} is still going`;
      this.opts.logger.warn('jobs.run_skipped', { job: name, reason: 'overlap' });
      this.opts.audit?.record({
        event: 'jobs.run_skipped',
        subject: name,
        detail: { reason: 'overlap', runningSince: st.lastStartedAt },
      });
      return { ...st };
    }
    st.running = true;
    st.lastStartedAt = iso();
    st.runs++;
    try {
      const msg = await e.job.run(this.opts.clock.now());
      st.lastOutcome = 'ok';
      st.lastMessage = msg;
      this.opts.logger.info('jobs.run_finished', { job: name, outcome: 'ok' });
    } catch (err) {
      st.lastOutcome = 'failed';
      st.lastMessage = (err as Error).message;
      this.opts.logger.error('jobs.run_failed', { job: name, error: err as Error });
      this.opts.audit?.record({
        event: 'jobs.run_failed',
        subject: name,
        detail: { error: (err as Error).message },
      });
    } finally {
      st.running = false;
      st.lastFinishedAt = iso();
    }
    return { ...st };
  }

  /** Every job with its schedule, last run and outcome. */
  list(): ScheduledJobStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }
}
