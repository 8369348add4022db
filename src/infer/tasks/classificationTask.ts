import type { Finding, HeatMap } from '../../pipeline/types';
import type { InputItem } from '../engine/buildInputs';
import { resizeBilinear } from '../preprocess/work';
import type { TensorData } from '../worker/protocol';
import { NodeError } from '../../pipeline/errors';
import { postprocess } from '../postprocess/postprocessSteps';
import type { LabelSpec } from '../manifest/modelManifestSchema';
import type { Task } from './taskTypes';

/**
 * The threshold of a label: a rule's `settings.thresholds[label]`, else `settings.threshold`,
 * else the manifest's, else 0.5.
 */
export function thresholdFor(label: LabelSpec, settings: Record<string, unknown>): number {
  const per = settings.thresholds;
  if (per && typeof per === 'object' && typeof (per as Record<string, unknown>)[label.name] === 'number') {
    return (per as Record<string, number>)[label.name];
  }
  if (typeof settings.threshold === 'number') return settings.threshold;
  return label.threshold ?? 0.5;
}

/**
 * A heat map output ([..., h, w], one plane per source frame of the item) clipped to [0, 1] and
 * resized (bilinear) onto each source frame.
 */
function toHeatMaps(t: TensorData, item: InputItem): HeatMap[] {
  const [h, w] = t.dims.slice(-2);
  const planes = item.frames.length;
  if (t.data.length < planes * h * w) {
    throw new NodeError(
      'INFERENCE_FAILED',
      `heat map output [${t.dims.join(', ')}] has fewer than ${planes} planes`,
    );
  }
  const clipped = new Float32Array(planes * h * w);
  for (let i = 0; i < clipped.length; i++) clipped[i] = Math.min(1, Math.max(0, t.data[i]));
  const rows = item.sourceRows;
  const columns = item.sourceColumns;
  const back = h === rows && w === columns ? clipped : resizeBilinear(clipped, planes, h, w, rows, columns);
  return item.frames.map((f, z) => ({
    ...f,
    rows,
    columns,
    data: back.slice(z * rows * columns, (z + 1) * rows * columns),
  }));
}

/**
 * classification: one score per label channel after the postprocessing steps (softmax or
 * sigmoid); over several images the highest probability is kept. Present when p >= threshold.
 */
export const classificationTask: Task = async (ctx) => {
  const best = new Map<number, number>();
  const heat = ctx.manifest.output.heatMap?.tensor;
  const heatMaps: HeatMap[] = [];
  for (const item of ctx.items) {
    const outputs = await ctx.runGraphOutputs(item.work);
    const out = outputs[ctx.manifest.output.tensor];
    if (heat) heatMaps.push(...toHeatMaps(outputs[heat], item));
    const channels = out.dims.length >= 2 ? out.dims[1] : out.data.length;
    if (out.data.length !== channels)
      throw new NodeError(
        'INFERENCE_FAILED',
        `classification output has shape [${out.dims.join(', ')}], [1, C] expected`,
      );
    const s = postprocess(
      { scores: Float32Array.from(out.data), channels, depth: 1, height: 1, width: 1 },
      ctx.manifest.postprocessing,
    );
    for (const l of ctx.manifest.labels) {
      if (l.index >= channels)
        throw new NodeError(
          'INFERENCE_FAILED',
          `label ${l.name} index ${l.index} outside the ${channels} output channels`,
        );
      best.set(l.index, Math.max(best.get(l.index) ?? -Infinity, s.scores[l.index]));
    }
  }
  const algorithmParameters: Record<string, string> = {};
  const findings: Finding[] = ctx.manifest.labels.map((l) => {
    const threshold = thresholdFor(l, ctx.settings);
    algorithmParameters[`threshold.${l.name}`] = String(threshold);
    const probability = best.get(l.index) ?? 0;
    return {
      label: l.name,
      code: l.code,
      probability,
      present: probability >= threshold,
      threshold,
      ...(l.findingSite ? { findingSite: l.findingSite } : {}),
    };
  });
  return { findings, measurements: [], algorithmParameters, ...(heat ? { heatMaps } : {}) };
};
