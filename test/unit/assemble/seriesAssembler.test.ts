import path from 'node:path';
import { SeriesAssembler, trustedExpectedCount } from '../../../src/assemble';
import { AuditLog, verifyAuditChain } from '../../../src/audit';
import { parseNodeConfig } from '../../../src/config/loadNodeConfig';
import { JobRepository } from '../../../src/db/jobRepository';
import { openDatabase, type Db } from '../../../src/db/openDatabase';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import type { CompletedSeries, ReceivedInstance } from '../../../src/pipeline/types';

/** Writes the rows the store stage writes for one durable instance, and returns its ReceivedInstance. */
function storeRow(
  db: Db,
  clock: FakeClock,
  o: Partial<ReceivedInstance> & { sopInstanceUid: string; seriesInstanceUid: string },
): ReceivedInstance {
  const at = new Date(clock.now()).toISOString();
  const inst: ReceivedInstance = {
    sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    studyInstanceUid: '1.2.3',
    modality: 'MR',
    instanceNumber: 1,
    expectedCount: null,
    numberOfFrames: 1,
    filePath: `/data/instances/${o.sopInstanceUid}.dcm`,
    sizeBytes: 10,
    source: 'dimse',
    peer: {
      callingAeTitle: 'MODALITY',
      calledAeTitle: 'PACSAI',
      peerAddress: '127.0.0.1',
      associationId: 'assoc-1',
    },
    receivedAt: clock.now(),
    duplicate: false,
    lateArrival: false,
    ...o,
  };
  db.transaction(() => {
    const existing = db
      .prepare('SELECT state FROM series WHERE series_instance_uid = ?')
      .get(inst.seriesInstanceUid) as { state: string } | undefined;
    if (!existing) {
      db.prepare(
        `INSERT INTO series (series_instance_uid, study_instance_uid, modality, calling_ae_title, called_ae_title, peer_address,
           first_received_at, last_received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        inst.seriesInstanceUid,
        inst.studyInstanceUid,
        inst.modality,
        inst.peer.callingAeTitle,
        inst.peer.calledAeTitle,
        inst.peer.peerAddress,
        at,
        at,
      );
    }
    inst.lateArrival = existing?.state === 'complete';
    db.prepare(
      `INSERT INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, study_instance_uid, series_instance_uid,
         instance_number, file_path, size_bytes, source, association_id, calling_ae_title, peer_address, received_at, late_arrival)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'dimse', ?, ?, ?, ?, ?)`,
    ).run(
      inst.sopInstanceUid,
      inst.sopClassUid,
      inst.transferSyntaxUid,
      inst.studyInstanceUid,
      inst.seriesInstanceUid,
      inst.instanceNumber,
      `instances/${inst.sopInstanceUid}.dcm`,
      inst.sizeBytes,
      inst.peer.associationId,
      inst.peer.callingAeTitle,
      inst.peer.peerAddress,
      at,
      inst.lateArrival ? 1 : 0,
    );
    db.prepare(
      'UPDATE series SET instance_count = instance_count + 1, last_received_at = ? WHERE series_instance_uid = ?',
    ).run(at, inst.seriesInstanceUid);
  })();
  return inst;
}

function setup(configInput: Record<string, unknown> = {}) {
  const db = openDatabase(':memory:');
  const clock = new FakeClock();
  const audit = new AuditLog(db, clock);
  const jobs = new JobRepository(db, audit, clock);
  const config = parseNodeConfig({ dataDir: '/data', ...configInput });
  const completed: Array<{ series: CompletedSeries; jobId: string }> = [];
  const assembler = new SeriesAssembler({
    db,
    audit,
    clock,
    logger: silentLogger,
    jobs,
    config,
    onComplete: (series, jobId) => completed.push({ series, jobId }),
  });
  const events = (name: string) =>
    (
      db.prepare('SELECT * FROM audit_events WHERE event = ? ORDER BY seq').all(name) as Array<{
        detail: string;
        subject: string;
      }>
    ).map((r) => ({ subject: r.subject, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  return { db, clock, audit, jobs, assembler, completed, events };
}

describe('SeriesAssembler', () => {
  it('completes a series after the quiet period, measured on the injected clock, and audits the signal', () => {
    const t = setup({ assembly: { seriesQuietSeconds: 30 } });
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '1.1', seriesInstanceUid: '9.1' }));
    t.clock.advance(20_000);
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '1.2', seriesInstanceUid: '9.1' }));
    t.clock.advance(29_999);
    expect(t.completed).toHaveLength(0);
    t.clock.advance(1);
    expect(t.completed).toHaveLength(1);
    const { series, jobId } = t.completed[0]!;
    expect(series.signal).toBe('quiet-period');
    expect(series.instances.map((i) => i.sopInstanceUid).sort()).toEqual(['1.1', '1.2']);
    expect(series.instances[0]!.filePath).toBe(path.resolve('/data', 'instances/1.1.dcm'));
    expect(t.jobs.get(jobId).state).toBe('complete');
    expect(t.jobs.get(jobId).completion_signal).toBe('quiet-period');
    expect(t.events('series.completed')).toEqual([
      { subject: '9.1', detail: expect.objectContaining({ signal: 'quiet-period', instanceCount: 2 }) },
    ]);
    expect(verifyAuditChain(t.db).ok).toBe(true);
  });

  it('completes as soon as a trusted expected count is reached', () => {
    const t = setup();
    for (const n of [1, 2, 3]) {
      t.assembler.instanceStored(
        storeRow(t.db, t.clock, { sopInstanceUid: `1.${n}`, seriesInstanceUid: '9.2', expectedCount: 3 }),
      );
      expect(t.completed).toHaveLength(n === 3 ? 1 : 0);
    }
    expect(t.completed[0]!.series.signal).toBe('expected-count');
    expect(t.assembler.pendingTimers()).toBe(0);
  });

  it('completes on association end only for senders that send one series per association', () => {
    const t = setup({
      allowedPeers: [{ aeTitle: 'CT1', oneSeriesPerAssociation: true }, { aeTitle: 'MODALITY' }],
    });
    const ct = {
      callingAeTitle: 'CT1',
      calledAeTitle: 'PACSAI',
      peerAddress: '127.0.0.1',
      associationId: 'a-ct',
    };
    t.assembler.instanceStored(
      storeRow(t.db, t.clock, { sopInstanceUid: '2.1', seriesInstanceUid: '9.3', peer: ct }),
    );
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '2.2', seriesInstanceUid: '9.4' }));
    t.assembler.associationEnded('a-ct');
    t.assembler.associationEnded('assoc-1');
    expect(t.completed.map((c) => [c.series.seriesInstanceUid, c.series.signal])).toEqual([
      ['9.3', 'association-end'],
    ]);
    t.clock.advance(30_000);
    expect(t.completed.map((c) => [c.series.seriesInstanceUid, c.series.signal])).toEqual([
      ['9.3', 'association-end'],
      ['9.4', 'quiet-period'],
    ]);
  });

  it('uses the quiet period of the sender when one is configured', () => {
    const t = setup({ allowedPeers: [{ aeTitle: 'MODALITY', seriesQuietSeconds: 5 }] });
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '3.1', seriesInstanceUid: '9.5' }));
    t.clock.advance(5_000);
    expect(t.completed).toHaveLength(1);
  });

  it('records an instance arriving after its series completed as a late arrival, and does not complete twice', () => {
    const t = setup();
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '4.1', seriesInstanceUid: '9.6' }));
    t.clock.advance(30_000);
    const late = storeRow(t.db, t.clock, { sopInstanceUid: '4.2', seriesInstanceUid: '9.6' });
    expect(late.lateArrival).toBe(true);
    t.assembler.instanceStored(late);
    t.clock.advance(60_000);
    expect(t.completed).toHaveLength(1);
    expect(t.events('series.late_arrival')).toEqual([
      { subject: '9.6', detail: { sopInstanceUid: '4.2', policy: 'record' } },
    ]);
  });

  it('with lateArrivals: rerun, a late arrival reopens the series and completes it again with a new job', () => {
    const t = setup({ assembly: { lateArrivals: 'rerun' } });
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '5.1', seriesInstanceUid: '9.7' }));
    t.clock.advance(30_000);
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '5.2', seriesInstanceUid: '9.7' }));
    t.clock.advance(30_000);
    expect(t.completed).toHaveLength(2);
    expect(t.completed[1]!.series.instances).toHaveLength(2);
    expect(t.completed[0]!.jobId).not.toBe(t.completed[1]!.jobId);
  });

  it('resumes the quiet timers of series left receiving by a crash, counting the time already passed', () => {
    const t = setup();
    storeRow(t.db, t.clock, { sopInstanceUid: '6.1', seriesInstanceUid: '9.8' });
    // A new process: the assembler that saw the instance is gone.
    t.clock.advance(20_000);
    t.assembler.resume();
    t.clock.advance(9_999);
    expect(t.completed).toHaveLength(0);
    t.clock.advance(1);
    expect(t.completed).toHaveLength(1);
    expect(t.jobs.list({ seriesInstanceUid: '9.8' })).toHaveLength(1);
  });

  it('keeps one open job per series across instances, and opens a new one when that job left `received`', () => {
    const t = setup({ assembly: { seriesQuietSeconds: 30 } });
    for (const n of [1, 2, 3])
      t.assembler.instanceStored(
        storeRow(t.db, t.clock, { sopInstanceUid: `8.${n}`, seriesInstanceUid: '9.5' }),
      );
    const open = t.jobs.list({ seriesInstanceUid: '9.5' });
    expect(open.map((j) => j.state)).toEqual(['received']);
    // Moved out of `received` elsewhere (an operator fails it): the next instance gets a new job.
    t.jobs.transition(open[0]!.id, 'failed', { error: 'operator' });
    t.clock.advance(1);
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '8.4', seriesInstanceUid: '9.5' }));
    t.clock.advance(30_000);
    expect(t.completed).toHaveLength(1);
    expect(t.completed[0]!.jobId).not.toBe(open[0]!.id);
    expect(t.jobs.get(t.completed[0]!.jobId).state).toBe('complete');
    expect(t.jobs.list({ seriesInstanceUid: '9.5' })).toHaveLength(2);
  });

  it('stop() cancels pending timers', () => {
    const t = setup();
    t.assembler.instanceStored(storeRow(t.db, t.clock, { sopInstanceUid: '7.1', seriesInstanceUid: '9.9' }));
    t.assembler.stop();
    t.clock.advance(60_000);
    expect(t.completed).toHaveLength(0);
  });
});

describe('trustedExpectedCount', () => {
  it.each([
    [
      { modality: 'MR', sopClassUid: '1.2.840.10008.5.1.4.1.1.4', expectedCount: 172, numberOfFrames: 1 },
      172,
    ],
    [{ modality: 'MR', sopClassUid: '1.2.840.10008.5.1.4.1.1.4', expectedCount: 1, numberOfFrames: 1 }, null],
    [{ modality: 'CR', sopClassUid: '1.2.840.10008.5.1.4.1.1.1', expectedCount: 1, numberOfFrames: 1 }, 1],
    [
      { modality: 'CT', sopClassUid: '1.2.840.10008.5.1.4.1.1.2', expectedCount: null, numberOfFrames: 1 },
      null,
    ],
    [
      { modality: 'MR', sopClassUid: '1.2.840.10008.5.1.4.1.1.4.1', expectedCount: null, numberOfFrames: 60 },
      1,
    ],
    [{ modality: 'CT', sopClassUid: '1.2.840.10008.5.1.4.1.1.2', expectedCount: 0, numberOfFrames: 1 }, null],
  ])('%j → %p', (input, expected) => {
    expect(trustedExpectedCount(input)).toBe(expected);
  });
});
