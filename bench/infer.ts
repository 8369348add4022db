/**
 * Inference benchmark: brain-gwm end to end on ../shared/data/mr-brain-t1-axial (172 slices) —
 * headers and contract check on the main thread; decode + volume assembly, resample to the
 * conformed 256^3 LIA grid, min-max, ONNX run, argmax + mapping back to the source grid and the
 * mL measurements in a worker thread. Prints the time per stage and the main event loop's delay
 * (perf_hooks.monitorEventLoopDelay sampling every 1 ms, so figures include that 1 ms; p99 target
 * under 20 ms) while it runs. Two runs: the first starts the worker and creates the session
 * (cold), the second reuses both (warm).
 *
 * Run from the repository root (the ONNX file is read from ../shared/models, never copied):
 *   npx tsc -p tsconfig.json --outDir /tmp/benchbuild && node /tmp/benchbuild/bench/infer.js
 * (tsc may report type errors in files other engineers are still writing; it emits anyway.)
 * Modules resolve from ./node_modules of the working directory (NODE_PATH is set here when unset,
 * and the worker thread inherits it); the worker entry is the compiled inferenceWorker.js.
 */
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

if (!process.env.NODE_PATH) {
  process.env.NODE_PATH = path.resolve('node_modules');
  (Module as unknown as { _initPaths(): void })._initPaths();
}

const SHARED = path.resolve(process.env.PACS_AI_SHARED ?? path.join(process.cwd(), '..', 'shared'));
const SERIES_DIR = path.join(SHARED, 'data', 'mr-brain-t1-axial');
const MODEL_FILE = path.join(SHARED, 'models', 'niivue-brain-gwm', 'model.onnx');

async function main(): Promise<void> {
  // Project modules are loaded only now, once module resolution is set up.
  const { InferenceEngine, ModelRegistry } = await import('../src/infer');
  const { readDicomHeader, num, str } = await import('../src/dicom');
  const { systemClock } = await import('../src/pipeline/clock');
  const { silentLogger } = await import('../src/logging/logger');
  type Logger = import('../src/logging/logger').Logger;

  if (!fs.existsSync(SERIES_DIR) || !fs.existsSync(MODEL_FILE))
    throw new Error(`needs ${SERIES_DIR} and ${MODEL_FILE}`);
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-infer-'));
  fs.mkdirSync(path.join(modelsDir, 'brain-gwm'));
  fs.copyFileSync(
    path.resolve('models', 'brain-gwm', 'manifest.yaml'),
    path.join(modelsDir, 'brain-gwm', 'manifest.yaml'),
  );
  fs.copyFileSync(MODEL_FILE, path.join(modelsDir, 'brain-gwm', 'model.onnx'));

  const files = fs
    .readdirSync(SERIES_DIR)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(SERIES_DIR, f));
  const first = (await readDicomHeader(files[0])).dataset;
  const instances = files.map((filePath, i) => ({
    sopInstanceUid: `bench.${i}`,
    sopClassUid: str(first, 'SOPClassUID') ?? '',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    instanceNumber: num(first, 'InstanceNumber'),
    filePath,
  }));

  let stageMs: Record<string, number> = {};
  const capture: Logger = {
    ...silentLogger,
    info: (event, fields) => {
      if (event === 'infer.run_completed') stageMs = (fields?.stageMs as Record<string, number>) ?? {};
    },
    child: () => capture,
  };
  const engine = new InferenceEngine({
    registry: new ModelRegistry({ modelsDir, logger: silentLogger }),
    clock: systemClock,
    audit: { record: () => undefined },
    logger: capture,
    workers: 1,
    timeoutMs: 600_000,
    failureThreshold: 3,
    disableMs: 60_000,
  });

  const rows: string[] = [];
  try {
    for (const label of ['cold', 'warm']) {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const t0 = performance.now();
      const r = await engine.run('brain-gwm', {
        studyInstanceUid: 'bench',
        seriesInstanceUid: 'bench',
        instances,
      });
      const total = performance.now() - t0;
      h.disable();
      const worker = Object.values(stageMs).reduce((a, b) => a + b, 0);
      const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
      rows.push(
        `${label}: total ${fmt(total)}; main thread headers + contract + worker start/transfer ${fmt(total - worker)}; ` +
          Object.entries(stageMs)
            .map(([k, v]) => `${k} ${fmt(v)}`)
            .join(', ') +
          `; event loop delay p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms; ` +
          r.measurements.map((m) => `${m.name} ${m.value.toFixed(1)} ${m.unit.code}`).join(', '),
      );
    }
  } finally {
    await engine.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
  process.stdout.write(
    `brain-gwm on ${files.length} slices, ${os.cpus().length} CPUs, Node.js ${process.version}\n${rows.join('\n')}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
