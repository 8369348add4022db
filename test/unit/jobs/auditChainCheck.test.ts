import request from 'supertest';
import { createHttpApp } from '../../../src/api';
import { AuditLog, verifyAuditChain } from '../../../src/audit';
import { createScheduledJobs } from '../../../src/jobs';
import { makeKit } from '../api/apiTestKit';

describe('audit chain verification job', () => {
  jest.setTimeout(10000);

  it('an edited audit row turns the job failed, the metric 0 and /readyz red', async () => {
    const kit = makeKit();
    const audit = new AuditLog(kit.db, kit.clock);
    for (let i = 0; i < 5; i++) audit.record({ event: 'test.event', subject: `s${i}`, detail: { i } });
    const { scheduler, auditChain } = createScheduledJobs({
      db: kit.db,
      dataDir: kit.dataDir,
      clock: kit.clock,
      logger: kit.deps.logger,
      audit,
      storage: { retentionDays: 30, minFreeMb: 1 },
      metrics: kit.deps.metrics,
      processDueDeliveries: () => 0,
      verifyAuditChain: () => verifyAuditChain(kit.db),
      diskFreeBytes: async () => 1e12,
    });
    kit.deps.auditChain = () => auditChain.last();
    kit.deps.scheduledJobs = () => scheduler.list();
    const app = createHttpApp(kit.deps);

    expect((await scheduler.runNow('audit-chain-check')).lastOutcome).toBe('ok');
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await request(app).get('/metrics')).text).toContain('pacs_audit_chain_ok 1');

    kit.db.exec('DROP TRIGGER audit_events_no_update');
    kit.db.prepare(`UPDATE audit_events SET detail = '{"i":99}' WHERE seq = 3`).run();
    kit.clock.advance(15 * 60 * 1000);
    const st = await scheduler.runNow('audit-chain-check');
    expect(st.lastOutcome).toBe('failed');
    expect(st.lastMessage).toMatch(/row 3/);
    expect(auditChain.last()).toMatchObject({ ok: false, firstBadSeq: 3, checkedAt: kit.clock.now() });

    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual(['audit-chain']);
    expect((await request(app).get('/metrics')).text).toContain('pacs_audit_chain_ok 0');
    const jobs = await request(app).get('/api/scheduled-jobs');
    expect(jobs.body.items.map((j: { name: string }) => j.name)).toEqual([
      'retention-purge',
      'disk-watermark',
      'delivery-retry',
      'audit-chain-check',
    ]);
    expect(jobs.body.items[3]).toMatchObject({ lastOutcome: 'failed' });
    // The moment it broke is itself recorded, once.
    await scheduler.runNow('audit-chain-check');
    expect(
      kit.db.prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE event = 'audit.chain_broken'`).get(),
    ).toEqual({ n: 1 });
  });
});
