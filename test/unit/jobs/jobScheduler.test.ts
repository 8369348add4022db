import { JobScheduler, deliveryRetryJob, diskWatermarkJob } from '../../../src/jobs';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import type { AuditEventInput } from '../../../src/pipeline/audit';

describe('JobScheduler', () => {
  jest.setTimeout(10000);

  it('records last run, outcome and message; failures are recorded and audited, not thrown', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const audit: AuditEventInput[] = [];
    const s = new JobScheduler({ clock, logger: silentLogger, audit: { record: (e) => audit.push(e) } });
    let fail = false;
    s.register({
      name: 'work',
      schedule: '*/5 * * * *',
      run: (now) => {
        if (fail) throw new Error('boom');
        return `ran at ${now}`;
      },
    });
    const first = await s.runNow('work');
    expect(first).toMatchObject({
      lastOutcome: 'ok',
      lastMessage: `ran at ${clock.now()}`,
      runs: 1,
      lastStartedAt: '2026-01-01T00:00:00.000Z',
      running: false,
    });
    clock.advance(60000);
    fail = true;
    const second = await s.runNow('work');
    expect(second).toMatchObject({
      lastOutcome: 'failed',
      lastMessage: 'boom',
      runs: 2,
      lastStartedAt: '2026-01-01T00:01:00.000Z',
    });
    expect(audit.map((e) => e.event)).toEqual(['jobs.run_failed']);
    expect(s.list()).toEqual([expect.objectContaining({ name: 'work', schedule: '*/5 * * * *' })]);
  });

  it('skips a tick while the previous run is still going, and records the skip', async () => {
    const clock = new FakeClock();
    const audit: AuditEventInput[] = [];
    const s = new JobScheduler({ clock, logger: silentLogger, audit: { record: (e) => audit.push(e) } });
    let release!: () => void;
    s.register({
      name: 'slow',
      schedule: '* * * * *',
      run: () => new Promise<string>((r) => (release = () => r('done'))),
    });
    const running = s.runNow('slow');
    const skipped = await s.runNow('slow');
    expect(skipped).toMatchObject({ running: true, lastOutcome: 'skipped-overlap', skipped: 1, runs: 1 });
    expect(audit.map((e) => e.event)).toEqual(['jobs.run_skipped']);
    release();
    expect(await running).toMatchObject({
      running: false,
      lastOutcome: 'ok',
      lastMessage: 'done',
      skipped: 1,
    });
  });

  it('rejects invalid cron expressions, duplicate names and unknown jobs', async () => {
    const s = new JobScheduler({ clock: new FakeClock(), logger: silentLogger });
    expect(() => s.register({ name: 'x', schedule: 'every tuesday', run: () => '' })).toThrow(/cron/);
    s.register({ name: 'x', schedule: '0 3 * * *', run: () => '' });
    expect(() => s.register({ name: 'x', schedule: '0 3 * * *', run: () => '' })).toThrow(/already/);
    await expect(s.runNow('y')).rejects.toThrow(/no scheduled job/);
  });

  it('node-cron triggers runs once started and stops on stop() (jest fake timers, no sleeping)', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1, 0, 0, 0, 500) });
    try {
      const s = new JobScheduler({ clock: new FakeClock(), logger: silentLogger });
      let n = 0;
      s.register({ name: 'tick', schedule: '* * * * * *', run: () => `${++n}` });
      s.start();
      await jest.advanceTimersByTimeAsync(3000);
      await s.stop();
      const after = n;
      expect(after).toBeGreaterThanOrEqual(2);
      await jest.advanceTimersByTimeAsync(3000);
      expect(n).toBe(after);
    } finally {
      jest.useRealTimers();
    }
  });

  it('disk watermark job reports free space to the metrics and says when it is below', async () => {
    const seen: number[] = [];
    const job = diskWatermarkJob({
      dataDir: '/x',
      minFreeMb: 100,
      logger: silentLogger,
      metrics: { diskFreeMeasured: (b) => seen.push(b) },
      diskFreeBytes: async () => 50 * 1048576,
    });
    expect(await job.run(0)).toBe('50 MiB free (watermark 100 MiB): BELOW the watermark');
    expect(seen).toEqual([50 * 1048576]);
    const unknown = diskWatermarkJob({
      dataDir: '/x',
      minFreeMb: 1,
      logger: silentLogger,
      diskFreeBytes: async () => null,
    });
    await expect(unknown.run(0)).rejects.toThrow(/cannot measure/);
  });

  it('delivery retry job calls the outbox', async () => {
    let calls = 0;
    const job = deliveryRetryJob({ processDue: async () => ++calls });
    expect(await job.run(0)).toBe('1 due deliveries processed');
    const outcomes = deliveryRetryJob({ processDue: async () => [{}, {}] });
    expect(await outcomes.run(0)).toBe('2 due deliveries processed');
  });
});
