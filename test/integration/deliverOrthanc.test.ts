import { verifyAuditChain } from '../../src/audit';
import type { Db } from '../../src/db/openDatabase';
import type { EncodedObject } from '../../src/pipeline/types';
import { describeIf, tempDir } from '../helpers/env';
import { startOrthanc, storedSopInstanceUids, type OrthancInstance } from '../helpers/orthanc';
import { asEncodedObject, writeSyntheticInstance } from '../unit/deliver/syntheticDicom';
import { testDeliveryService, type DestinationInputs, type TestDeliveryOptions } from './testDeliveryService';

jest.setTimeout(120000);

function objects(n: number, transferSyntaxUid?: string): EncodedObject[] {
  const dir = tempDir();
  const first = writeSyntheticInstance(dir, { transferSyntaxUid });
  const out = [first];
  for (let i = 1; i < n; i++) {
    out.push(
      writeSyntheticInstance(dir, {
        studyInstanceUid: first.studyInstanceUid,
        seriesInstanceUid: first.seriesInstanceUid,
        transferSyntaxUid,
      }),
    );
  }
  return out.map((f) => asEncodedObject(f, 'test-model'));
}

/** The service under test: jitter 0, so every backoff is half its base. */
function service(destinations: DestinationInputs, on: TestDeliveryOptions = {}) {
  return testDeliveryService(destinations, { ...on, random: () => 0 });
}

function auditEvents(db: Db): string[] {
  return (db.prepare('SELECT event FROM audit_events ORDER BY seq').all() as Array<{ event: string }>).map(
    (r) => r.event,
  );
}

describeIf({ tools: ['Orthanc'] })('delivery to a real Orthanc', () => {
  let orthanc: OrthancInstance;
  beforeEach(async () => {
    orthanc = await startOrthanc();
  });
  afterEach(async () => {
    await orthanc?.stop();
  });

  test('DIMSE C-STORE: every object delivered, sent as stored, audited', async () => {
    const { svc, db } = service({
      pacs: { url: `dimse://${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}` },
    });
    const objs = [...objects(2), ...objects(1, '1.2.840.10008.1.2')];
    svc.enqueue(objs, ['pacs']);
    const outcomes = await svc.processDue();
    expect(outcomes.map((o) => [o.status, o.statusCode])).toEqual([
      ['success', 0],
      ['success', 0],
      ['success', 0],
    ]);
    expect(svc.list({ state: 'delivered' })).toHaveLength(3);
    expect(await storedSopInstanceUids(orthanc)).toEqual(objs.map((o) => o.sopInstanceUid).sort());
    expect(auditEvents(db).filter((e) => e === 'delivery.delivered')).toHaveLength(3);
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  test('STOW-RS: delivered over DICOMweb, the response data set read per instance', async () => {
    const { svc } = service({ web: { url: `dicomweb+http://127.0.0.1:${orthanc.httpPort}/dicom-web/` } });
    const objs = objects(3);
    svc.enqueue(objs, ['web']);
    const outcomes = await svc.processDue();
    expect(outcomes.map((o) => o.status)).toEqual(['success', 'success', 'success']);
    expect(outcomes[0]!.message).toMatch(/HTTP 200: stored/);
    expect(await storedSopInstanceUids(orthanc)).toEqual(objs.map((o) => o.sopInstanceUid).sort());
  });

  test('Orthanc stopped: retries with backoff (FakeClock, real network), delivered once it is back, each object exactly once', async () => {
    const cfg = { maxAttempts: 6, initialBackoffSeconds: 10, maxBackoffSeconds: 60 };
    const { svc, db, clock } = service({
      pacs: { url: `dimse://${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`, ...cfg },
      web: { url: `dicomweb+http://127.0.0.1:${orthanc.httpPort}/dicom-web`, ...cfg },
    });
    const viaDimse = objects(3);
    const viaWeb = objects(2);
    await orthanc.stop();
    svc.enqueue(viaDimse, ['pacs']);
    svc.enqueue(viaWeb, ['web']);

    const first = await svc.processDue();
    expect(first.every((o) => o.status === 'failure' && o.retryable)).toBe(true);
    expect(svc.list({ state: 'pending' }).map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1]);
    clock.advance(5000); // attempt 1 failed: base 10 s, equal jitter with random 0 → 5 s
    await svc.processDue();
    expect(svc.list({ state: 'pending' }).map((r) => r.attempts)).toEqual([2, 2, 2, 2, 2]);
    expect(await svc.processDue()).toEqual([]); // next one is 10 s away

    await orthanc.restart();
    clock.advance(10000);
    const last = await svc.processDue();
    expect(last.map((o) => o.status)).toEqual(['success', 'success', 'success', 'success', 'success']);
    expect(svc.list({ state: 'delivered' }).map((r) => r.attempts)).toEqual([3, 3, 3, 3, 3]);
    expect(await storedSopInstanceUids(orthanc)).toEqual(
      [...viaDimse, ...viaWeb].map((o) => o.sopInstanceUid).sort(),
    );
    const events = auditEvents(db);
    expect(events.filter((e) => e === 'delivery.attempt')).toHaveLength(15);
    expect(events.filter((e) => e === 'delivery.failed')).toHaveLength(10);
    expect(events.filter((e) => e === 'delivery.delivered')).toHaveLength(5);
  });
});

describeIf({ tools: ['Orthanc'] })('STOW-RS dead letter against a real Orthanc', () => {
  test('a wrong base path: 404 is a dead letter at once; fixed configuration + replay delivers it', async () => {
    const orthanc = await startOrthanc();
    try {
      const {
        svc: broken,
        db,
        clock,
      } = service({
        web: { url: `dicomweb+http://127.0.0.1:${orthanc.httpPort}/no-such-root` },
      });
      const [obj] = objects(1);
      const [id] = broken.enqueue([obj!], ['web']);
      const [outcome] = await broken.processDue();
      expect(outcome).toMatchObject({ status: 'failure', statusCode: 404, retryable: false });
      expect(broken.list({ state: 'dead' })).toHaveLength(1);
      expect(auditEvents(db)).toContain('delivery.dead');

      // The operator fixes node.yaml and restarts; the dead letter is replayed (as `deliveries replay` does).
      const { svc: fixed } = service(
        { web: { url: `dicomweb+http://127.0.0.1:${orthanc.httpPort}/dicom-web` } },
        { db, clock },
      );
      fixed.replay(id!, 'cli');
      const [again] = await fixed.processDue();
      expect(again).toMatchObject({ status: 'success', statusCode: 200 });
      expect(fixed.list({})[0]).toMatchObject({ state: 'delivered', attempts: 1 });
      expect(await storedSopInstanceUids(orthanc)).toEqual([obj!.sopInstanceUid]);
    } finally {
      await orthanc.stop();
    }
  });
});
