import { AuditLog, verifyAuditChain } from '../../../src/audit';
import { JobRepository } from '../../../src/db/jobRepository';
import { openDatabase } from '../../../src/db/openDatabase';
import { FakeClock } from '../../../src/pipeline/clock';
import { InvalidStateTransitionError } from '../../../src/pipeline/errors';

function setup() {
  const db = openDatabase(':memory:');
  const clock = new FakeClock();
  const audit = new AuditLog(db, clock);
  db.prepare(
    `INSERT INTO series (series_instance_uid, study_instance_uid, first_received_at, last_received_at) VALUES ('9.9', '1.1', 'x', 'x')`,
  ).run();
  return { db, jobs: new JobRepository(db, audit, clock) };
}

describe('JobRepository (persisted state machine)', () => {
  it('walks the happy path, writing one audit row per transition', () => {
    const { db, jobs } = setup();
    const job = jobs.create('9.9');
    for (const s of ['complete', 'routed', 'inferring', 'encoded', 'delivering', 'delivered'] as const) {
      jobs.transition(job.id, s, s === 'routed' ? { rulesVersion: 'abc123' } : {});
    }
    const j = jobs.get(job.id);
    expect(j.state).toBe('delivered');
    expect(j.rules_version).toBe('abc123');
    const rows = db
      .prepare(`SELECT detail FROM audit_events WHERE subject = ? AND event = 'job.transition'`)
      .all(job.id) as Array<{ detail: string }>;
    expect(rows.map((r) => (JSON.parse(r.detail) as { to: string }).to)).toEqual([
      'complete',
      'routed',
      'inferring',
      'encoded',
      'delivering',
      'delivered',
    ]);
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  it('refuses an edge the machine does not have, and leaves no audit row for it', () => {
    const { db, jobs } = setup();
    const job = jobs.create('9.9');
    const before = (db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
    expect(() => jobs.transition(job.id, 'delivered')).toThrow(InvalidStateTransitionError);
    expect((db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n).toBe(before);
    expect(jobs.get(job.id).state).toBe('received');
  });

  it('remembers where a failed job failed, and lists unfinished work for resumption', () => {
    const { jobs } = setup();
    const a = jobs.create('9.9');
    jobs.transition(a.id, 'complete');
    jobs.transition(a.id, 'routed');
    jobs.transition(a.id, 'failed', { error: 'model threw' });
    expect(jobs.get(a.id)).toMatchObject({
      state: 'failed',
      failed_from: 'routed',
      error: 'model threw',
      attempts: 1,
    });
    const b = jobs.create('9.9');
    jobs.transition(b.id, 'complete');
    expect(jobs.unfinished().map((j) => j.id)).toEqual([b.id]);
  });
});
