import fs from 'node:fs';
import path from 'node:path';
import { readDicomHeader } from '../../src/dicom/readDicomHeader';
import { BRAIN_SERIES_DIR, DICOM_DIR, describeIf } from '../helpers/env';
import {
  auditEvents,
  datasetBytes,
  listFiles,
  runTool,
  startTestNode,
  storescuProposal,
  type TestNode,
} from './ingestHarness';

/** DCMTK echoscu/storescu against the running node (PRODUCT.md 1). */
describeIf({ shared: true, tools: ['storescu', 'echoscu'] })('ingest over DIMSE with DCMTK', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ aeTitle: 'PACSAI', aliasAeTitles: ['PACSAI2'] });
  }, 30_000);
  afterAll(async () => {
    await node?.stop();
  }, 30_000);

  const instanceCount = (): number =>
    (node.app.db.prepare('SELECT COUNT(*) AS n FROM instances').get() as { n: number }).n;

  test('C-ECHO succeeds on our AE title and on an alias', async () => {
    for (const aec of ['PACSAI', 'PACSAI2']) {
      const r = await runTool(
        'echoscu',
        ['-aet', 'MODALITY', '-aec', aec, '127.0.0.1', String(node.port)],
        30_000,
      );
      expect(r.code).toBe(0);
    }
    expect(auditEvents(node.app, 'association.released').length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test('the whole brain series (172 instances) is stored: files and rows', async () => {
    const files = listFiles(BRAIN_SERIES_DIR).filter((f) => f.endsWith('.dcm') || !path.extname(f));
    expect(files.length).toBe(172);
    const r = await runTool(
      'storescu',
      ['-aet', 'MODALITY', '-aec', 'PACSAI', '-R', '127.0.0.1', String(node.port), '+sd', BRAIN_SERIES_DIR],
      120_000,
    );
    expect(r.code).toBe(0);
    const header = await readDicomHeader(files[0]!);
    const seriesUid = String(header.dataset.SeriesInstanceUID);
    const rows = node.app.db
      .prepare('SELECT file_path, size_bytes FROM instances WHERE series_instance_uid = ?')
      .all(seriesUid) as Array<{ file_path: string; size_bytes: number }>;
    expect(rows.length).toBe(172);
    for (const row of rows) {
      expect(row.file_path).toMatch(/^instances\/[0-9a-f]{2}\/[0-9a-f-]{36}\.dcm$/);
      expect(fs.statSync(path.join(node.dataDir, row.file_path)).size).toBe(row.size_bytes);
    }
    const series = node.app.db
      .prepare('SELECT * FROM series WHERE series_instance_uid = ?')
      .get(seriesUid) as {
      instance_count: number;
      modality: string;
    };
    expect(series.instance_count).toBe(172);
    expect(series.modality).toBe('MR');
    expect(fs.readdirSync(path.join(node.dataDir, 'tmp'))).toEqual([]);
    // Re-sent: kept once, answered with success.
    const again = await runTool(
      'storescu',
      ['-aet', 'MODALITY', '-aec', 'PACSAI', '-R', '127.0.0.1', String(node.port), files[0]!],
      30_000,
    );
    expect(again.code).toBe(0);
    expect(
      (
        node.app.db
          .prepare('SELECT COUNT(*) AS n FROM instances WHERE series_instance_uid = ?')
          .get(seriesUid) as { n: number }
      ).n,
    ).toBe(172);
    expect(auditEvents(node.app, 'instance.duplicate').length).toBe(1);
  }, 180_000);

  test('three associations pushing the same series at once: every push succeeds, each instance kept once', async () => {
    const before = auditEvents(node.app, 'instance.duplicate').length;
    const runs = await Promise.all(
      [1, 2, 3].map((i) =>
        runTool(
          'storescu',
          [
            '-aet',
            `MODALITY${i}`,
            '-aec',
            'PACSAI',
            '-R',
            '127.0.0.1',
            String(node.port),
            '+sd',
            BRAIN_SERIES_DIR,
          ],
          120_000,
        ),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    const header = await readDicomHeader(listFiles(BRAIN_SERIES_DIR)[0]!);
    const n = node.app.db
      .prepare('SELECT COUNT(*) AS n FROM instances WHERE series_instance_uid = ?')
      .get(String(header.dataset.SeriesInstanceUID)) as { n: number };
    expect(n.n).toBe(172);
    expect(auditEvents(node.app, 'instance.duplicate').length - before).toBe(3 * 172);
    expect(fs.readdirSync(path.join(node.dataDir, 'tmp'))).toEqual([]);
  }, 180_000);

  test('one file of each transfer syntax in dcm_qa_ts is stored as sent', async () => {
    const dir = path.join(DICOM_DIR, 'dcm_qa_ts', 'In');
    for (const file of listFiles(dir)) {
      const sent = await readDicomHeader(file);
      const args = ['-aet', 'MODALITY', '-aec', 'PACSAI', ...storescuProposal(sent.transferSyntaxUid)];
      const r = await runTool('storescu', [...args, '127.0.0.1', String(node.port), file], 30_000);
      expect({ file, code: r.code }).toEqual({ file, code: 0 });
      const row = node.app.db
        .prepare('SELECT file_path, transfer_syntax_uid FROM instances WHERE sop_instance_uid = ?')
        .get(String(sent.dataset.SOPInstanceUID)) as
        { file_path: string; transfer_syntax_uid: string } | undefined;
      expect(row).toBeDefined();
      expect({ file, ts: row!.transfer_syntax_uid }).toEqual({ file, ts: sent.transferSyntaxUid });
      const stored = path.join(node.dataDir, row!.file_path);
      expect((await readDicomHeader(stored)).transferSyntaxUid).toBe(sent.transferSyntaxUid);
      expect(datasetBytes(stored).equals(datasetBytes(file))).toBe(true);
    }
  }, 180_000);

  test('the chest X-ray (JPEG Baseline) is stored byte-identical', async () => {
    const file = path.join(
      DICOM_DIR,
      'torchxrayvision',
      '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm',
    );
    const sent = await readDicomHeader(file);
    const args = ['-aet', 'MODALITY', '-aec', 'PACSAI', ...storescuProposal(sent.transferSyntaxUid)];
    const r = await runTool('storescu', [...args, '127.0.0.1', String(node.port), file], 30_000);
    expect(r.code).toBe(0);
    const row = node.app.db
      .prepare(
        'SELECT file_path, transfer_syntax_uid, number_of_frames FROM instances WHERE sop_instance_uid = ?',
      )
      .get(String(sent.dataset.SOPInstanceUID)) as { file_path: string; transfer_syntax_uid: string };
    expect(row.transfer_syntax_uid).toBe('1.2.840.10008.1.2.4.50');
    expect(datasetBytes(path.join(node.dataDir, row.file_path)).equals(datasetBytes(file))).toBe(true);
  }, 60_000);

  test('a wrong called AE title is rejected (reason 7) and audited', async () => {
    const before = instanceCount();
    const r = await runTool(
      'echoscu',
      ['-aet', 'MODALITY', '-aec', 'NOTUS', '127.0.0.1', String(node.port)],
      30_000,
    );
    expect(r.code).not.toBe(0);
    const file = listFiles(BRAIN_SERIES_DIR)[0]!;
    const s = await runTool(
      'storescu',
      ['-aet', 'MODALITY', '-aec', 'NOTUS', '-R', '127.0.0.1', String(node.port), file],
      30_000,
    );
    expect(s.code).not.toBe(0);
    const rejected = auditEvents(node.app, 'association.rejected').filter(
      (e) => e.detail.calledAeTitle === 'NOTUS',
    );
    expect(rejected.length).toBe(2);
    expect(rejected[0]!.detail).toMatchObject({
      reason: 'called-ae-title-not-recognized',
      result: 1,
      source: 1,
      reasonCode: 7,
    });
    expect(instanceCount()).toBe(before);
  }, 60_000);
});

describeIf({ shared: true, tools: ['storescu', 'echoscu'] })('the calling AE / IP allow-list', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({
      allowedPeers: [
        { aeTitle: 'GOODMOD', host: '127.0.0.0/8' },
        { aeTitle: 'FARMOD', host: '10.1.2.3' },
      ],
    });
  }, 30_000);
  afterAll(async () => {
    await node?.stop();
  }, 30_000);

  test('an allowed peer is accepted; an unknown AE and a known AE from the wrong address are rejected (reason 3)', async () => {
    const ok = await runTool(
      'echoscu',
      ['-aet', 'GOODMOD', '-aec', 'PACSAI', '127.0.0.1', String(node.port)],
      30_000,
    );
    expect(ok.code).toBe(0);
    const unknown = await runTool(
      'echoscu',
      ['-aet', 'STRANGER', '-aec', 'PACSAI', '127.0.0.1', String(node.port)],
      30_000,
    );
    expect(unknown.code).not.toBe(0);
    const file = listFiles(BRAIN_SERIES_DIR)[0]!;
    const wrongIp = await runTool(
      'storescu',
      ['-aet', 'FARMOD', '-aec', 'PACSAI', '-R', '127.0.0.1', String(node.port), file],
      30_000,
    );
    expect(wrongIp.code).not.toBe(0);
    const rejected = auditEvents(node.app, 'association.rejected');
    expect(rejected.map((e) => [e.actor, e.detail.reason, e.detail.reasonCode])).toEqual([
      ['STRANGER', 'calling-ae-title-not-recognized', 3],
      ['FARMOD', 'calling-ae-title-not-recognized', 3],
    ]);
    expect(String(rejected[1]!.detail.why)).toContain('127.0.0.1');
    expect((node.app.db.prepare('SELECT COUNT(*) AS n FROM instances').get() as { n: number }).n).toBe(0);
  }, 60_000);
});
