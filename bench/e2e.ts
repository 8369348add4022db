/**
 * Time-to-result benchmark (issue 6, docs/performance.md "End to end").
 *
 * DCMTK storescu pushes ../shared/data/mr-brain-t1-axial (172 slices) to the node; a rule runs
 * brain-gwm and delivers SR, SEG and SC to a real Orthanc over DIMSE. Prints the time from the
 * last instance acknowledged to the results acknowledged by Orthanc, split by stage, with the
 * quiet period that completes the series shown apart and excluded.
 *
 * Needs DCMTK, Orthanc (Debian packages) and ../shared. Run from the repository root:
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/benchbuild
 *   ln -sfn $PWD/migrations /tmp/benchbuild/migrations
 *   NODE_PATH=$PWD/node_modules node /tmp/benchbuild/bench/e2e.js [runs=2]
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../src/app';
import { modelsInstall } from '../src/cli/modelsCommand';
import { parseNodeConfig } from '../src/config/loadNodeConfig';
import { silentLogger } from '../src/logging/logger';
import { startOrthanc } from '../test/helpers/orthanc';
import { workFolder } from './ingestKit';

const run = promisify(execFile);
const ROOT = process.cwd();
const SHARED = path.resolve(ROOT, '..', 'shared');
const SERIES_DIR = path.join(SHARED, 'data', 'mr-brain-t1-axial');
const QUIET_SECONDS = 1;

interface AuditRow {
  at: string;
  event: string;
  detail: string;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 2);
  const work = workFolder('pacs-ai-node-e2e-');
  const modelsDir = path.join(work, 'models');
  fs.mkdirSync(path.join(modelsDir, 'brain-gwm'), { recursive: true });
  fs.copyFileSync(
    path.join(ROOT, 'models', 'brain-gwm', 'manifest.yaml'),
    path.join(modelsDir, 'brain-gwm', 'manifest.yaml'),
  );
  const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
  await modelsInstall(
    'brain-gwm',
    { from: path.join(SHARED, 'models', 'niivue-brain-gwm', 'model.onnx'), models: modelsDir },
    { out: quiet, err: quiet },
  );
  const rulesFile = path.join(work, 'rules.yaml');
  fs.writeFileSync(
    rulesFile,
    'version: 1\nrules:\n  - id: brain\n    when: { attr: Modality, equals: MR }\n    then: { run: [brain-gwm], deliver: [pacs] }\n',
  );

  console.log(`brain-gwm on ${SERIES_DIR}, ${runs} run(s), quiet period ${QUIET_SECONDS} s (excluded)`);
  console.log('run  lastAck→complete(quiet)  route  infer  encode  enqueue  deliver  total(excl. quiet)');
  for (let r = 1; r <= runs; r++) {
    const orthanc = await startOrthanc();
    const config = parseNodeConfig({
      dataDir: path.join(work, `data-${r}`),
      rulesFile,
      modelsDir,
      dimse: { host: '127.0.0.1', port: 0 },
      http: { enabled: false },
      assembly: { seriesQuietSeconds: QUIET_SECONDS },
      destinations: { pacs: { url: `dimse://${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}` } },
    });
    const app = createApp({ config, logger: silentLogger });
    const { dimsePort } = await app.start();
    await run('storescu', ['-aec', config.aeTitle, '+sd', '127.0.0.1', String(dimsePort), SERIES_DIR], {
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    const lastAck = Date.now();
    for (;;) {
      const done = app.jobs
        .list({})
        .find((j) => ['delivered', 'failed', 'out_of_scope', 'discarded'].includes(j.state));
      if (done) {
        if (done.state !== 'delivered') throw new Error(`job ended ${done.state}: ${done.error ?? ''}`);
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    const rows = app.db
      .prepare('SELECT at, event, detail FROM audit_events ORDER BY seq')
      .all() as AuditRow[];
    const at = (to: string): number => {
      const row = rows.find(
        (x) => x.event === 'job.transition' && (JSON.parse(x.detail) as { to: string }).to === to,
      );
      if (!row) throw new Error(`no transition to ${to}`);
      return Date.parse(row.at);
    };
    const job = app.jobs.list({})[0]!;
    const detail = JSON.parse(job.detail) as { results?: Array<{ durationMs: number }> };
    const inferMs = (detail.results ?? []).reduce((a, x) => a + x.durationMs, 0);
    const delivered = app.db.prepare('SELECT MAX(delivered_at) AS t FROM deliveries').get() as { t: string };
    const complete = at('complete');
    const routed = at('routed');
    const inferring = at('inferring');
    const encoded = at('encoded');
    const delivering = at('delivering');
    const deliveredAt = Date.parse(delivered.t);
    const s = (ms: number) => (ms / 1000).toFixed(2).padStart(6);
    const quietMs = complete - lastAck;
    console.log(
      `${String(r).padStart(3)}  ${s(quietMs)}                 ${s(routed - complete)} ${s(inferMs)} ${s(encoded - inferring - inferMs)}  ${s(
        delivering - encoded,
      )}  ${s(deliveredAt - delivering)}  ${s(deliveredAt - complete)}`,
    );
    await app.stop();
    await orthanc.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
