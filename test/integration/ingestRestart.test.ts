import fs from 'node:fs';
import path from 'node:path';
import { verifyAuditChain } from '../../src/audit';
import { BRAIN_SERIES_DIR, describeIf } from '../helpers/env';
import { auditEvents, listFiles, runTool, startTestNode, type TestNode } from './ingestHarness';

/**
 * The index transaction of an instance runs while its fsyncs are in flight, so a power loss at
 * that moment can leave a row whose file the disk never got (that instance was never
 * acknowledged). Simulated here by removing and truncating files of the newest rows while the
 * node is stopped: the next start withdraws those rows, and a re-send stores the instances again
 * instead of answering them as duplicates of files that are not there.
 */
describeIf({ shared: true, tools: ['storescu'] })('start-up after a power loss while filing', () => {
  let node: TestNode | null = null;
  afterEach(async () => {
    await node?.stop();
    node = null;
  }, 30_000);

  const push = async (port: number, files: string[]) => {
    const r = await runTool('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      'PACSAI',
      '127.0.0.1',
      String(port),
      ...files,
    ]);
    expect(r.code).toBe(0);
  };
  const rows = (n: TestNode) =>
    n.app.db.prepare('SELECT sop_instance_uid, file_path FROM instances ORDER BY id').all() as Array<{
      sop_instance_uid: string;
      file_path: string;
    }>;

  test('rows whose file is missing or short are withdrawn at start; a re-send stores them again', async () => {
    const files = listFiles(BRAIN_SERIES_DIR).slice(0, 4);
    node = await startTestNode({ aeTitle: 'PACSAI' });
    const dataDir = node.dataDir;
    await push(node.port, files);
    const before = rows(node);
    expect(before).toHaveLength(4);
    await node.stop();
    node = null;

    const [, , short, missing] = before;
    fs.truncateSync(path.join(dataDir, short!.file_path), 100);
    fs.rmSync(path.join(dataDir, missing!.file_path));

    node = await startTestNode({ aeTitle: 'PACSAI' }, dataDir);
    expect(rows(node).map((r) => r.sop_instance_uid)).toEqual(
      before.slice(0, 2).map((r) => r.sop_instance_uid),
    );
    expect(fs.existsSync(path.join(dataDir, short!.file_path))).toBe(false);
    const withdrawn = auditEvents(node.app, 'instance.withdrawn');
    expect(withdrawn.map((e) => e.subject).sort()).toEqual(
      [short!.sop_instance_uid, missing!.sop_instance_uid].sort(),
    );
    expect(withdrawn[0]!.detail.reason).toMatch(/missing or short at start/);
    const series = node.app.db.prepare('SELECT instance_count FROM series').get() as {
      instance_count: number;
    };
    expect(series.instance_count).toBe(2);

    await push(node.port, files);
    const after = rows(node);
    expect(after).toHaveLength(4);
    for (const r of after) expect(fs.statSync(path.join(dataDir, r.file_path)).size).toBeGreaterThan(1000);
    // The two intact instances are duplicates; the two withdrawn ones are stored anew.
    expect(
      auditEvents(node.app, 'instance.duplicate')
        .map((e) => e.subject)
        .sort(),
    ).toEqual(
      before
        .slice(0, 2)
        .map((r) => r.sop_instance_uid)
        .sort(),
    );
    expect(
      (node.app.db.prepare('SELECT instance_count FROM series').get() as { instance_count: number })
        .instance_count,
    ).toBe(4);
    expect(verifyAuditChain(node.app.db).ok).toBe(true);
  }, 90_000);
});
