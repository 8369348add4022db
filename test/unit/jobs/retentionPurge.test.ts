import fs from 'node:fs';
import path from 'node:path';
import { AuditLog, verifyAuditChain } from '../../../src/audit';
import { openDatabase, type Db } from '../../../src/db/openDatabase';
import { purgeRetention, retentionPurgeJob, JobScheduler } from '../../../src/jobs';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import type { JobState } from '../../../src/pipeline/jobState';
import { tempDir } from '../../helpers/env';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1);

describe('retention purge (storage.retentionDays) with a fake clock', () => {
  jest.setTimeout(10000);
  let db: Db;
  let dataDir: string;
  let clock: FakeClock;
  let audit: AuditLog;

  /** A series with `n` input files received at `at`, and a job in `state` (none when null). */
  function series(uid: string, at: number, state: JobState | null, n = 2): string[] {
    const iso = new Date(at).toISOString();
    db.prepare(
      `INSERT INTO series (series_instance_uid, study_instance_uid, modality, state, instance_count, first_received_at, last_received_at)
       VALUES (?, '1.9', 'CT', 'complete', ?, ?, ?)`,
    ).run(uid, n, iso, iso);
    const files: string[] = [];
    for (let i = 1; i <= n; i++) {
      const rel = path.join('instances', `${uid}-${i}.dcm`);
      fs.mkdirSync(path.join(dataDir, 'instances'), { recursive: true });
      fs.writeFileSync(path.join(dataDir, rel), 'DICM');
      db.prepare(
        `INSERT INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, study_instance_uid, series_instance_uid, file_path,
           size_bytes, source, association_id, calling_ae_title, peer_address, received_at)
         VALUES (?, '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', '1.9', ?, ?, 4, 'dimse', 'a', 'CT', '127.0.0.1', ?)`,
      ).run(`${uid}.${i}`, uid, rel, iso);
      files.push(path.join(dataDir, rel));
    }
    if (state)
      db.prepare(
        `INSERT INTO jobs (id, series_instance_uid, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
      ).run(`job-${uid}`, uid, state, iso, iso);
    return files;
  }

  /** A delivery row of a file (absolute path, as the outbox stores it). */
  function delivery(
    sop: string,
    file: string,
    destination: string,
    state: string,
    deliveredAt: number | null,
  ): void {
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'RESULT');
    }
    const iso = new Date(deliveredAt ?? T0).toISOString();
    db.prepare(
      `INSERT INTO deliveries (sop_instance_uid, sop_class_uid, study_instance_uid, series_instance_uid, file_path, destination, state,
         next_attempt_at, created_at, updated_at, delivered_at)
       VALUES (?, '1.2.840.10008.5.1.4.1.1.88.22', '1.9', '1.9.900', ?, ?, ?, 0, ?, ?, ?)`,
    ).run(sop, file, destination, state, iso, iso, deliveredAt === null ? null : iso);
  }

  beforeEach(() => {
    dataDir = tempDir('retention-');
    db = openDatabase(path.join(dataDir, 'db.sqlite'));
    clock = new FakeClock(T0 + 31 * DAY);
    audit = new AuditLog(db, clock);
  });

  it('deletes old inputs of terminal jobs and delivered results, and nothing else', () => {
    const delivered = series('1.1', T0, 'delivered');
    const failed = series('1.2', T0, 'failed');
    const inferring = series('1.3', T0, 'inferring');
    const recent = series('1.4', T0 + 30 * DAY, 'delivered');
    const orphan = series('1.5', T0, null, 1);
    const forwarded = series('1.6', T0, 'delivered');
    delivery('1.6.1', forwarded[0]!, 'pacs', 'pending', null);
    const results = path.join(dataDir, 'results');
    const r1 = path.join(results, 'r1.dcm');
    const r2 = path.join(results, 'r2.dcm');
    const r3 = path.join(results, 'r3.dcm');
    const r4 = path.join(results, 'r4.dcm');
    delivery('2.1', r1, 'pacs', 'delivered', T0);
    delivery('2.2', r2, 'pacs', 'delivered', T0);
    delivery('2.2', r2, 'archive', 'pending', null);
    delivery('2.3', r3, 'pacs', 'dead', null);
    delivery('2.4', r4, 'pacs', 'delivered', T0 + 29 * DAY);

    const summary = purgeRetention(
      { db, dataDir, audit, logger: silentLogger, retentionDays: 30 },
      clock.now(),
    );

    expect(summary).toEqual({ inputSeries: 3, inputInstances: 4, results: 1, bytes: 4 * 4 + 6 });
    for (const f of [...delivered, ...orphan, forwarded[1]!, r1]) expect(fs.existsSync(f)).toBe(false);
    for (const f of [...failed, ...inferring, ...recent, forwarded[0]!, r2, r3, r4])
      expect(fs.existsSync(f)).toBe(true);
    const left = (
      db.prepare('SELECT sop_instance_uid FROM instances ORDER BY sop_instance_uid').all() as Array<{
        sop_instance_uid: string;
      }>
    ).map((r) => r.sop_instance_uid);
    expect(left).toEqual(['1.2.1', '1.2.2', '1.3.1', '1.3.2', '1.4.1', '1.4.2', '1.6.1']);
    const events = db
      .prepare(`SELECT subject, detail FROM audit_events WHERE event = 'retention.deleted' ORDER BY seq`)
      .all() as Array<{ subject: string; detail: string }>;
    expect(events.map((e) => [e.subject, JSON.parse(e.detail).kind])).toEqual([
      ['1.1', 'input'],
      ['1.5', 'input'],
      ['1.6', 'input'],
      ['2.1', 'result'],
    ]);
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  it('a second run removes nothing more; time moving on makes the recent series due', async () => {
    series('1.4', T0 + 30 * DAY, 'delivered');
    const s = new JobScheduler({ clock, logger: silentLogger });
    s.register(retentionPurgeJob({ db, dataDir, audit, logger: silentLogger, retentionDays: 30 }));
    expect((await s.runNow('retention-purge')).lastMessage).toBe(
      'removed 0 input instances of 0 series and 0 results (0 bytes)',
    );
    clock.advance(30 * DAY);
    expect((await s.runNow('retention-purge')).lastMessage).toBe(
      'removed 2 input instances of 1 series and 0 results (8 bytes)',
    );
    expect((await s.runNow('retention-purge')).lastMessage).toMatch(/^removed 0 /);
  });
});
