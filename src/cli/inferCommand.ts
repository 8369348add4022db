import fs from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { loadNodeConfig } from '../config/loadNodeConfig';
import { readDicomHeader, str, num } from '../dicom';
import { InferenceEngine, ModelRegistry } from '../infer';
import { createLogger } from '../logging/logger';
import { systemClock } from '../pipeline/clock';
import { NodeError } from '../pipeline/errors';
import type { InferenceResult, SeriesInstanceRef } from '../pipeline/types';

/** Options of `pacs-ai-node infer`. */
export interface InferOptions {
  /** A model id in the models folder, or a model folder (holding manifest.yaml). */
  model: string;
  models?: string;
  config?: string;
  json?: boolean;
  /** Per-run timeout in seconds (default: node config inference.timeoutSeconds). */
  timeout?: string;
}

/** The printed summary (`--json`). */
export interface InferSummary {
  model: string;
  version: string;
  task: string;
  outOfScope: boolean;
  reason: string | null;
  findings: Array<{
    label: string;
    code: { value: string; scheme: string; meaning: string };
    probability: number | null;
    present: boolean;
  }>;
  measurements: Array<{ name: string; value: number; unit: string }>;
  durationMs: number;
}

/** Every file under the given files and folders, sorted. */
function collectFiles(inputs: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new NodeError('NOT_FOUND', `${p} not found`);
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    else if (st.isFile()) out.push(p);
  };
  for (const i of inputs) walk(path.resolve(i));
  return out;
}

/** Reads the headers of the files and returns the one series they hold (non-DICOM files are skipped). */
async function oneSeries(
  files: string[],
): Promise<{ studyInstanceUid: string; seriesInstanceUid: string; instances: SeriesInstanceRef[] }> {
  const bySeries = new Map<string, { studyInstanceUid: string; instances: SeriesInstanceRef[] }>();
  for (const f of files) {
    let h;
    try {
      h = await readDicomHeader(f);
    } catch {
      continue;
    }
    const series = str(h.dataset, 'SeriesInstanceUID');
    const sop = str(h.dataset, 'SOPInstanceUID') ?? h.mediaStorageSopInstanceUid;
    if (!series || !sop) continue;
    const s = bySeries.get(series) ?? {
      studyInstanceUid: str(h.dataset, 'StudyInstanceUID') ?? '',
      instances: [],
    };
    s.instances.push({
      sopInstanceUid: sop,
      sopClassUid: str(h.dataset, 'SOPClassUID') ?? h.mediaStorageSopClassUid,
      transferSyntaxUid: h.transferSyntaxUid,
      instanceNumber: num(h.dataset, 'InstanceNumber'),
      filePath: f,
    });
    bySeries.set(series, s);
  }
  if (bySeries.size === 0) throw new NodeError('NOT_FOUND', 'no DICOM instances found');
  if (bySeries.size > 1)
    throw new NodeError('BAD_REQUEST', `the files hold ${bySeries.size} series; give one series at a time`);
  const [[seriesInstanceUid, s]] = [...bySeries];
  return { studyInstanceUid: s.studyInstanceUid, seriesInstanceUid, instances: s.instances };
}

/** The printed form of a result. */
export function summarize(r: InferenceResult): InferSummary {
  return {
    model: r.modelId,
    version: r.modelVersion,
    task: r.task,
    outOfScope: r.outOfScope,
    reason: r.reason,
    findings: r.findings.map((f) => ({
      label: f.label,
      code: f.code,
      probability: f.probability,
      present: f.present,
    })),
    measurements: r.measurements.map((m) => ({ name: m.name, value: m.value, unit: m.unit.code })),
    durationMs: r.durationMs,
  };
}

/** Runs one model on one series offline; resolves to the exit code (0, or 2 when out of scope). */
export async function runInfer(
  inputs: string[],
  o: InferOptions,
  io: { out: NodeJS.WritableStream } = { out: process.stdout },
): Promise<number> {
  const config = loadNodeConfig(o.config);
  let modelsDir = path.resolve(o.models ?? config.modelsDir);
  let id = o.model;
  if (fs.existsSync(path.join(o.model, 'manifest.yaml'))) {
    modelsDir = path.dirname(path.resolve(o.model));
    id = path.basename(path.resolve(o.model));
  }
  const logger = createLogger({ level: 'warn', stream: process.stderr });
  const registry = new ModelRegistry({ modelsDir, logger });
  const timeoutSeconds = o.timeout !== undefined ? Number(o.timeout) : config.inference.timeoutSeconds;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new NodeError('BAD_REQUEST', '--timeout must be a positive number of seconds');
  const engine = new InferenceEngine({
    registry,
    clock: systemClock,
    audit: { record: () => undefined },
    logger,
    workers: 1,
    timeoutMs: timeoutSeconds * 1000,
    failureThreshold: config.inference.failureThreshold,
    disableMs: config.inference.disableSeconds * 1000,
  });
  try {
    const series = await oneSeries(collectFiles(inputs));
    const s = summarize(await engine.run(id, series));
    if (o.json) io.out.write(`${JSON.stringify(s)}\n`);
    else {
      io.out.write(
        `${s.model}@${s.version} (${s.task}) ${s.outOfScope ? `OUT OF SCOPE: ${s.reason}` : 'ran'} in ${s.durationMs} ms\n`,
      );
      for (const f of s.findings)
        io.out.write(
          `  finding ${f.label}: ${f.present ? 'present' : 'absent'}${f.probability !== null ? ` p=${f.probability.toFixed(4)}` : ''}\n`,
        );
      for (const m of s.measurements) io.out.write(`  ${m.name}: ${m.value.toFixed(1)} ${m.unit}\n`);
    }
    return s.outOfScope ? 2 : 0;
  } finally {
    await engine.close();
  }
}

/** Registers `pacs-ai-node infer`. */
export function registerInferCommand(program: Command): void {
  program
    .command('infer')
    .description('Run one model on one series offline and print the findings and measurements')
    .requiredOption('--model <id|dir>', 'model id in the models folder, or a model folder')
    .option('--models <dir>', 'the models folder (default: node config modelsDir)')
    .option('--config <file>', 'node configuration (node.yaml)')
    .option('--timeout <seconds>', 'timeout of the run')
    .option('--json', 'print one JSON object')
    .argument('<paths...>', 'DICOM files or folders of one series')
    .action(async (paths: string[], o: InferOptions) => {
      process.exitCode = await runInfer(paths, o);
    });
}
