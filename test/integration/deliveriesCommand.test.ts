import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { databasePath, openDatabase } from '../../src/db/openDatabase';
import { FakeClock } from '../../src/pipeline/clock';
import { tempDir } from '../helpers/env';
import { asEncodedObject, writeSyntheticInstance } from '../unit/deliver/syntheticDicom';
import { testDeliveryService } from './testDeliveryService';

jest.setTimeout(30000);

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const se = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = undefined;
  }
}

describe('pacs-ai-node deliveries list | replay', () => {
  test('a dead letter is listed, replayed by the CLI (actor cli), and the running node then delivers it', async () => {
    const dataDir = tempDir();
    const outDir = tempDir();
    const { svc, db, clock } = testDeliveryService(
      { folder: { url: `file://${outDir}` } },
      // The CLI stamps the replayed row with the wall clock, so the node's fake clock starts there.
      { db: openDatabase(databasePath(dataDir)), clock: new FakeClock(Date.now()), pollMs: 5000 },
    );
    const src = writeSyntheticInstance(tempDir());
    const moved = `${src.file}.away`;
    fs.renameSync(src.file, moved); // the result file is missing: non-retryable → dead
    const [id] = svc.enqueue([asEncodedObject(src)], ['folder']);
    svc.start();
    clock.advance(0); // the timer fires a round; stop() waits for it
    await svc.stop();
    expect(svc.list({ state: 'dead' })).toHaveLength(1);
    svc.start();

    const listed = await run(['deliveries', 'list', '--state', 'dead', '--data-dir', dataDir, '--json']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      id,
      state: 'dead',
      destination: 'folder',
      attempts: 1,
      sopInstanceUid: src.sopInstanceUid,
    });

    fs.renameSync(moved, src.file); // fixed
    const replayed = await run(['deliveries', 'replay', String(id), '--data-dir', dataDir]);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(new RegExp(`replayed delivery ${id} to folder`));
    const audit = db
      .prepare(`SELECT actor FROM audit_events WHERE event = 'delivery.replayed'`)
      .all() as Array<{ actor: string }>;
    expect(audit).toEqual([{ actor: 'cli' }]);

    clock.advance(5000); // the outbox timer polls and finds the replayed row
    await svc.stop();
    expect(svc.list({})[0]).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(
      fs.existsSync(
        path.join(outDir, src.studyInstanceUid, src.seriesInstanceUid, `${src.sopInstanceUid}.dcm`),
      ),
    ).toBe(true);

    const all = await run(['deliveries', 'replay', '--all-dead', '--data-dir', dataDir]);
    expect(all.stdout).toBe('replayed 0 dead deliveries\n');
    db.close();
  });

  test('bad input is a clear error with exit 1', async () => {
    const dataDir = tempDir();
    expect((await run(['deliveries', 'replay', '999', '--data-dir', dataDir])).stderr).toMatch(
      /no delivery 999/,
    );
    const bad = await run(['deliveries', 'list', '--state', 'lost', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--state must be one of pending, in_flight, delivered, dead/);
  });
});
