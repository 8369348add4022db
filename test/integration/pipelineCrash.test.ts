import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { BRAIN_SERIES_DIR, SHARED_MODELS_DIR, dcmtkEnv, describeIf, tempDir } from '../helpers/env';
import { BIN, buildCli, ROOT, startServe } from './builtCli';

/**
 * After a crash each job resumes where it stopped (ARCHITECTURE.md "Job state machine"): the
 * built CLI is killed with SIGKILL while brain-gwm runs, started again on the same data
 * directory, and the job finishes; the results reach the destination once, under the same UIDs.
 */
const run = promisify(execFile);

async function until<T>(what: string, fn: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function jobStates(dbFile: string): Array<{ id: string; state: string; error: string | null }> {
  if (!fs.existsSync(dbFile)) return [];
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, state, error FROM jobs').all() as Array<{
      id: string;
      state: string;
      error: string | null;
    }>;
  } finally {
    db.close();
  }
}

function listDcm(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.dcm'))
    .sort();
}

describeIf({ shared: true, tools: ['storescu'] })('crash while a model runs', () => {
  beforeAll(buildCli, 180_000);

  test('kill -9 during inference: after restart the job resumes and delivers one set of results', async () => {
    const work = tempDir('pacs-ai-node-pipeline-crash-');
    const dataDir = path.join(work, 'data');
    const resultsDir = path.join(work, 'pacs-folder');
    const modelsDir = path.join(work, 'models');
    fs.mkdirSync(path.join(modelsDir, 'brain-gwm'), { recursive: true });
    fs.copyFileSync(
      path.join(ROOT, 'models', 'brain-gwm', 'manifest.yaml'),
      path.join(modelsDir, 'brain-gwm', 'manifest.yaml'),
    );
    const install = spawnSync(
      process.execPath,
      [
        BIN,
        'models',
        'install',
        'brain-gwm',
        '--from',
        path.join(SHARED_MODELS_DIR, 'niivue-brain-gwm', 'model.onnx'),
        '--models',
        modelsDir,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(install.status).toBe(0);
    const rules = path.join(work, 'rules.yaml');
    fs.writeFileSync(
      rules,
      'version: 1\nrules:\n  - id: brain\n    when: { attr: Modality, equals: MR }\n    then: { run: [brain-gwm], deliver: [folder] }\n',
    );
    const args = [
      '--port',
      '0',
      '--http-port',
      '0',
      '--data-dir',
      dataDir,
      '--series-quiet-seconds',
      '1',
      '--rules',
      rules,
      '--models',
      modelsDir,
      '--destination',
      `folder=file://${resultsDir}`,
    ];
    const dbFile = path.join(dataDir, 'pacs-ai-node.sqlite');

    const first = await startServe(args);
    await run('storescu', ['-aec', 'PACSAI', '+sd', '127.0.0.1', String(first.port), BRAIN_SERIES_DIR], {
      env: dcmtkEnv(),
    });
    const job = await until(
      'the job to start inferring',
      () => jobStates(dbFile).find((j) => j.state === 'inferring'),
      60_000,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(listDcm(resultsDir)).toEqual([]);

    const second = await startServe(args);
    try {
      const done = await until(
        'the resumed job to finish',
        () =>
          jobStates(dbFile).find(
            (j) => j.id === job.id && ['delivered', 'failed', 'out_of_scope'].includes(j.state),
          ),
        240_000,
      );
      expect(done).toMatchObject({ state: 'delivered' });
      expect(jobStates(dbFile)).toHaveLength(1);
      const results = listDcm(resultsDir);
      expect(results).toHaveLength(3);
      expect(listDcm(path.join(dataDir, 'outputs'))).toHaveLength(3);

      // The audit trail shows the one job going on from where it stopped.
      const db = new Database(dbFile, { readonly: true });
      const transitions = (
        db
          .prepare(
            `SELECT detail FROM audit_events WHERE event = 'job.transition' AND subject = ? ORDER BY seq`,
          )
          .all(job.id) as Array<{
          detail: string;
        }>
      ).map((r) => (JSON.parse(r.detail) as { to: string }).to);
      db.close();
      expect(transitions).toEqual(['complete', 'routed', 'inferring', 'encoded', 'delivering', 'delivered']);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 420_000);
});
