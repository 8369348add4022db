import type { Finding } from '../../pipeline/types';
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
 * classification: one score per label channel after the postprocessing steps (softmax or
 * sigmoid); over several images the highest probability is kept. Present when p >= threshold.
 */
export const classificationTask: Task = async (ctx) => {
  const best = new Map<number, number>();
  for (const item of ctx.items) {
    const out = await ctx.runGraph(item.work);
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
  return { findings, measurements: [], algorithmParameters };
};
