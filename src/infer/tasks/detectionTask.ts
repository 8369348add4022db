import { NodeError } from '../../pipeline/errors';
import type { Finding } from '../../pipeline/types';
import { thresholdFor } from './classificationTask';
import type { Task } from './taskTypes';

/**
 * detection: the output is a list of boxes `[N, 6]` (or `[1, N, 6]`): x0, y0, x1, y1 in model
 * input pixels, score (0..1), class index. A label's probability is the highest score of its
 * boxes (0 when none); present when it reaches the threshold. The number of boxes at or above the
 * threshold is recorded per label in `algorithmParameters` (`detections.<label>`).
 */
export const detectionTask: Task = async (ctx) => {
  const best = new Map<number, number>();
  const scores = new Map<number, number[]>();
  for (const item of ctx.items) {
    const out = await ctx.runGraph(item.work);
    if (out.dims[out.dims.length - 1] !== 6 || out.data.length % 6 !== 0) {
      throw new NodeError(
        'INFERENCE_FAILED',
        `detection output has shape [${out.dims.join(', ')}], [N, 6] expected`,
      );
    }
    for (let b = 0; b < out.data.length / 6; b++) {
      const score = out.data[b * 6 + 4];
      const cls = Math.round(out.data[b * 6 + 5]);
      best.set(cls, Math.max(best.get(cls) ?? 0, score));
      scores.set(cls, [...(scores.get(cls) ?? []), score]);
    }
  }
  const algorithmParameters: Record<string, string> = {};
  const findings: Finding[] = ctx.manifest.labels.map((l) => {
    const threshold = thresholdFor(l, ctx.settings);
    algorithmParameters[`threshold.${l.name}`] = String(threshold);
    algorithmParameters[`detections.${l.name}`] = String(
      (scores.get(l.index) ?? []).filter((s) => s >= threshold).length,
    );
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
