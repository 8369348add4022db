import { performance } from 'node:perf_hooks';
import { NodeError } from '../../pipeline/errors';
import type { SeriesInstanceRef } from '../../pipeline/types';
import type { ModelManifest } from '../manifest/modelManifestSchema';
import { preprocess } from '../preprocess/preprocessSteps';
import type { Work } from '../preprocess/work';
import { TASKS } from '../tasks/taskRegistry';
import type { TensorData } from '../worker/protocol';
import { INPUT_BUILDERS, OutOfScope } from './buildInputs';
import { encodeClinical } from './clinicalInputs';
import type { ModelJobOutput, TensorRunner } from './modelJobTypes';

export interface ModelJobInput {
  manifest: ModelManifest;
  instances: readonly SeriesInstanceRef[];
  settings: Record<string, unknown>;
  runner: TensorRunner;
}

/** The model's input tensor from a work image, in the manifest's axis order and shape. */
export function toInputTensor(w: Work, manifest: ModelManifest): TensorData {
  const shape = manifest.input.tensor.shape;
  const need = shape.reduce((a, b) => a * b, 1);
  if (w.data.length !== need) {
    throw new NodeError(
      'INFERENCE_FAILED',
      `input has ${w.data.length} values (${w.channels}x${w.depth}x${w.height}x${w.width}); input.tensor.shape [${shape.join(', ')}] needs ${need}`,
    );
  }
  if (manifest.input.axes !== 'NHWC') return { data: w.data, dims: [...shape] };
  const plane = w.height * w.width;
  const out = new Float32Array(w.data.length);
  for (let c = 0; c < w.channels; c++)
    for (let p = 0; p < plane; p++) out[p * w.channels + c] = w.data[c * plane + p];
  return { data: out, dims: [...shape] };
}

function outOfScope(reason: string, stageMs: Record<string, number>): ModelJobOutput {
  return { outOfScope: true, reason, findings: [], measurements: [], algorithmParameters: {}, stageMs };
}

/**
 * One model on one series: decode / assemble, preprocess, run the graph, postprocess by task.
 * Runs inside an inference worker (never on the main event loop); pure apart from reading files.
 */
export async function runModelJob(job: ModelJobInput): Promise<ModelJobOutput> {
  const { manifest } = job;
  const stageMs: Record<string, number> = {};
  const task = TASKS[manifest.task];
  if (!task) throw new NodeError('MODEL_UNAVAILABLE', `task ${manifest.task} is not implemented`);
  let t = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    stageMs[name] = (stageMs[name] ?? 0) + (now - t);
    t = now;
  };
  let items;
  try {
    items = await INPUT_BUILDERS[manifest.input.kind](manifest, job.instances);
  } catch (e) {
    if (e instanceof OutOfScope) return outOfScope(e.message, stageMs);
    throw e;
  }
  lap('decode');
  if (items.length === 0) return outOfScope('no images in the series', stageMs);
  const range = manifest.contract.spacingMm;
  if (range) {
    for (const it of items) {
      const sp = it.work.depth > 1 ? it.work.spacingMm : it.work.spacingMm.slice(0, 2);
      const bad = sp.find((s) => s < range[0] - 1e-6 || s > range[1] + 1e-6);
      if (bad !== undefined)
        return outOfScope(`spacing ${bad.toFixed(3)} mm outside [${range[0]}, ${range[1]}] mm`, stageMs);
    }
  }
  let clinical: TensorData | null = null;
  if (manifest.input.clinical) {
    const c = encodeClinical(items[0].work.header, manifest.input.clinical.attributes);
    if ('reason' in c) return outOfScope(c.reason, stageMs);
    clinical = { data: Float32Array.from(c.values), dims: [1, c.values.length] };
  }
  const ctx = { manifest };
  for (const step of manifest.preprocessing) {
    for (const it of items) it.work = preprocess(it.work, [step], ctx);
    lap(`preprocess.${step.step}`);
  }
  const wanted = [
    manifest.output.tensor,
    ...(manifest.output.heatMap ? [manifest.output.heatMap.tensor] : []),
  ];
  const runGraphOutputs = async (w: Work): Promise<Record<string, TensorData>> => {
    const feeds: Record<string, TensorData> = { [manifest.input.tensor.name]: toInputTensor(w, manifest) };
    if (clinical && manifest.input.clinical) feeds[manifest.input.clinical.tensor] = clinical;
    lap('postprocess');
    const out = await job.runner.run(feeds);
    lap('run');
    for (const name of wanted) {
      if (!out[name])
        throw new NodeError('INFERENCE_FAILED', `model gave no output named ${name}`, [
          `outputs: ${Object.keys(out).join(', ')}`,
        ]);
    }
    return out;
  };
  const runGraph = async (w: Work): Promise<TensorData> => (await runGraphOutputs(w))[manifest.output.tensor];
  const r = await task({
    manifest,
    items,
    settings: job.settings,
    runGraph,
    runGraphOutputs,
    runner: job.runner,
  });
  lap('postprocess');
  return { outOfScope: false, reason: null, ...r, stageMs };
}
