import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { readDicomHeader } from '../../src/dicom/readDicomHeader';
import { BRAIN_SERIES_DIR, dcmtkEnv, describeIf, tempDir } from '../helpers/env';
import { BIN, buildCli, ROOT, startServe, type RunningNode } from './builtCli';

/**
 * Nothing acknowledged is ever lost (PRODUCT.md 1): the built CLI is killed with SIGKILL in the
 * middle of a storescu push, then started again on the same data directory.
 */

/** `serve` on any free ports, with a 2 s quiet period so the series completes soon after the restart. */
function startNode(dataDir: string): Promise<RunningNode> {
  return startServe([
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--ae-title',
    'PACSAI',
    '--series-quiet-seconds',
    '2',
    '--http-port',
    '0',
  ]);
}

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeIf({ shared: true, tools: ['storescu'] })('crash in the middle of a push', () => {
  // The test runs the built CLI: build it.
  beforeAll(buildCli, 180_000);

  test('every acknowledged instance survives kill -9; no temp files; the series completes after restart; audit verify catches an edited row', async () => {
    const dataDir = tempDir('pacs-ai-node-crash-');
    const first = await startNode(dataDir);

    // Push the brain series; count the success responses as storescu reports them.
    const scu = spawn(
      'storescu',
      [
        '-v',
        '-aet',
        'MODALITY',
        '-aec',
        'PACSAI',
        '-R',
        '127.0.0.1',
        String(first.port),
        '+sd',
        BRAIN_SERIES_DIR,
      ],
      {
        env: dcmtkEnv(),
      },
    );
    const acknowledged: string[] = [];
    let sending: string | null = null;
    const killed = new Promise<void>((resolve) => {
      const lines = readline.createInterface({ input: scu.stderr });
      const onLine = (line: string) => {
        const m = /Sending file: (.+)$/.exec(line);
        if (m) sending = m[1]!.trim();
        if (/Received Store Response \(Success\)/.test(line) && sending) {
          acknowledged.push(sending);
          if (acknowledged.length === 60) {
            first.child.kill('SIGKILL');
            resolve();
          }
        }
      };
      lines.on('line', onLine);
      readline.createInterface({ input: scu.stdout }).on('line', onLine);
    });
    const scuDone = new Promise<number | null>((resolve) => scu.on('close', resolve));
    await killed;
    await new Promise<void>((resolve) => first.child.once('close', () => resolve()));
    const guard = setTimeout(() => scu.kill('SIGKILL'), 30_000);
    const scuCode = await scuDone;
    clearTimeout(guard);
    expect(scuCode).not.toBe(0); // the push did not finish
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    const second = await startNode(dataDir);
    try {
      expect(fs.readdirSync(path.join(dataDir, 'tmp'))).toEqual([]);
      const db = new Database(path.join(dataDir, 'pacs-ai-node.sqlite'), { readonly: true });
      try {
        const find = db.prepare('SELECT file_path FROM instances WHERE sop_instance_uid = ?');
        for (const file of acknowledged) {
          const uid = String((await readDicomHeader(file)).dataset.SOPInstanceUID);
          const row = find.get(uid) as { file_path: string } | undefined;
          expect({ file, indexed: !!row }).toEqual({ file, indexed: true });
          expect(fs.existsSync(path.join(dataDir, row!.file_path))).toBe(true);
        }
        // Every file under instances/ is indexed (none renamed but left unindexed by the crash).
        const files = fs
          .readdirSync(path.join(dataDir, 'instances'))
          .flatMap((d) => fs.readdirSync(path.join(dataDir, 'instances', d)));
        expect(files.length).toBe(
          (db.prepare('SELECT COUNT(*) AS n FROM instances').get() as { n: number }).n,
        );
      } finally {
        db.close();
      }
      // The quiet period (2 s) completes the series after the restart: poll the CLI, bounded.
      let state = '';
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const r = cli(['series', 'list', '--data-dir', dataDir, '--json']);
        const rows = r.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { state: string; instances: number });
        state = rows[0]?.state ?? '';
        if (state === 'complete') {
          expect(rows[0]!.instances).toBeGreaterThanOrEqual(acknowledged.length);
          break;
        }
        await new Promise((r2) => setTimeout(r2, 250));
      }
      expect(state).toBe('complete');
    } finally {
      second.child.kill('SIGTERM');
      await new Promise<void>((resolve) => second.child.once('close', () => resolve()));
    }
    const verify = cli(['audit', 'verify', '--data-dir', dataDir]);
    expect(verify.code).toBe(0);

    // Editing one audit row by hand (trigger dropped first) is caught and the row is named.
    const db = new Database(path.join(dataDir, 'pacs-ai-node.sqlite'));
    const target = db
      .prepare(`SELECT seq FROM audit_events WHERE event = 'instance.stored' ORDER BY seq LIMIT 1 OFFSET 5`)
      .get() as {
      seq: number;
    };
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare(`UPDATE audit_events SET actor = 'SOMEONE_ELSE' WHERE seq = ?`).run(target.seq);
    db.close();
    const tampered = cli(['audit', 'verify', '--data-dir', dataDir]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain(`row ${target.seq}`);
  }, 120_000);
});
