import { resampleVolume } from '../../dicom/volume';
import { NodeError } from '../../pipeline/errors';
import type { Finding, LabelVolume, Measurement, SegmentDescription } from '../../pipeline/types';
import type { PostprocessStepSpec } from '../manifest/modelManifestSchema';
import { countLabels } from '../postprocess/labelOps';
import { postprocess } from '../postprocess/postprocessSteps';
import { resizeNearest, rotatePlanes, type Work } from '../preprocess/work';
import { ANATOMICAL_STRUCTURE, MEASUREMENT_KINDS } from './measurementUnits';
import type { Task, TaskContext } from './taskTypes';

const PALETTE: Array<[number, number, number]> = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [0, 255, 255],
  [255, 0, 255],
];

type RotateSpec = Extract<PostprocessStepSpec, { step: 'rotate-and-retry' }>;

/** Runs the graph once and postprocesses to a label image on the model grid. */
async function segmentOnce(ctx: TaskContext, work: Work): Promise<Uint8Array> {
  const out = await ctx.runGraph(work);
  const voxels = work.depth * work.height * work.width;
  const channels = out.data.length / voxels;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new NodeError(
      'INFERENCE_FAILED',
      `segmentation output shape [${out.dims.join(', ')}] does not fit the input grid ${work.width}x${work.height}x${work.depth}`,
    );
  }
  const s = postprocess(
    {
      // The output buffer is ours: softmax / sigmoid work on it in place (no 192 MB copy for brain-gwm).
      scores: out.data,
      channels,
      depth: work.depth,
      height: work.height,
      width: work.width,
    },
    ctx.manifest.postprocessing,
  );
  if (!s.labels)
    throw new NodeError('INFERENCE_FAILED', 'segmentation postprocessing needs argmax or threshold');
  return s.labels;
}

function foregroundFraction(labels: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) n++;
  return n / labels.length;
}

/**
 * When the mask is smaller than `minFraction`, runs again on the input rotated by each angle and
 * keeps the first mask (rotated back) that is large enough. Returns the labels and what happened.
 */
async function rotateAndRetry(
  ctx: TaskContext,
  work: Work,
  labels: Uint8Array,
  spec: RotateSpec,
): Promise<{ labels: Uint8Array; note: string }> {
  if (foregroundFraction(labels) >= spec.minFraction) return { labels, note: 'not needed' };
  for (const angle of spec.angles) {
    if (angle !== 180 && work.height !== work.width) continue;
    const r = rotatePlanes(work.data, work.channels * work.depth, work.height, work.width, angle);
    const rotated: Work = { ...work, data: r.data, height: r.height, width: r.width };
    const l2 = await segmentOnce(ctx, rotated);
    const back = rotatePlanes(l2, work.depth, r.height, r.width, ((360 - angle) % 360) as 90 | 180 | 270);
    if (foregroundFraction(back.data) >= spec.minFraction)
      return { labels: back.data, note: `rotated ${angle}` };
  }
  return { labels, note: 'no rotation passed' };
}

/**
 * segmentation: a label image on the model grid (argmax / threshold and the filters), optionally
 * rotate-and-retry; measurements on the model grid; the labels mapped back to the source
 * geometry (nearest neighbour) as segment numbers 1..n for SEG.
 */
export const segmentationTask: Task = async (ctx) => {
  const m = ctx.manifest;
  const fg = m.labels.filter((l) => l.index > 0).sort((a, b) => a.index - b.index);
  const segOf = new Uint8Array(256);
  fg.forEach((l, i) => (segOf[l.index] = i + 1));
  const rr = m.postprocessing.find((s): s is RotateSpec => s.step === 'rotate-and-retry');
  const amount = new Map<string, number>();
  const voxels = new Map<number, number>();
  const frames: LabelVolume['frames'] = [];
  const planes: Uint8Array[] = [];
  let rows = 0;
  let columns = 0;
  const notes: string[] = [];
  for (const item of ctx.items) {
    let labels = await segmentOnce(ctx, item.work);
    if (rr) {
      const r = await rotateAndRetry(ctx, item.work, labels, rr);
      labels = r.labels;
      notes.push(r.note);
    }
    const counts = countLabels(labels);
    for (const ms of m.measurements) {
      const label = m.labels.find((l) => l.name === ms.label)!;
      const n = counts.get(label.index) ?? 0;
      amount.set(
        ms.name,
        (amount.get(ms.name) ?? 0) + n * MEASUREMENT_KINDS[ms.kind].perVoxel(item.work.spacingMm),
      );
    }
    for (const [v, n] of counts) voxels.set(v, (voxels.get(v) ?? 0) + n);

    let onSource: Uint8Array;
    if (item.sourceGrid && item.work.grid) {
      const same =
        item.work.grid === item.sourceGrid ||
        item.work.grid.dims.every((d, i) => d === item.sourceGrid!.dims[i]);
      if (same) onSource = labels;
      else {
        const r = resampleVolume(
          { ...item.work.grid, data: Float32Array.from(labels) },
          item.sourceGrid,
          'nearest',
          0,
        );
        onSource = Uint8Array.from(r.data);
      }
    } else if (item.work.height !== item.sourceRows || item.work.width !== item.sourceColumns) {
      onSource = resizeNearest(
        labels,
        item.work.depth,
        item.work.height,
        item.work.width,
        item.sourceRows,
        item.sourceColumns,
      );
    } else onSource = labels;
    for (let i = 0; i < onSource.length; i++) onSource[i] = segOf[onSource[i]];
    if (rows && (rows !== item.sourceRows || columns !== item.sourceColumns)) {
      throw new NodeError(
        'INFERENCE_FAILED',
        'images of different sizes in one series cannot share a label volume',
      );
    }
    rows = item.sourceRows;
    columns = item.sourceColumns;
    frames.push(...item.frames);
    planes.push(onSource);
  }
  const data = new Uint8Array(planes.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of planes) {
    data.set(p, off);
    off += p.length;
  }
  const segments: SegmentDescription[] = fg.map((l, i) => ({
    segmentNumber: i + 1,
    label: l.name,
    category: l.category ?? ANATOMICAL_STRUCTURE,
    type: l.code,
    color: l.color ?? PALETTE[i % PALETTE.length],
  }));
  const measurements: Measurement[] = m.measurements.map((ms) => {
    const label = m.labels.find((l) => l.name === ms.label)!;
    const kind = MEASUREMENT_KINDS[ms.kind];
    return {
      name: ms.name,
      code: ms.code ?? kind.code,
      value: amount.get(ms.name) ?? 0,
      unit: kind.unit,
      ...(segOf[label.index] ? { segmentNumber: segOf[label.index] } : {}),
      findingSite: label.code,
    };
  });
  const findings: Finding[] = fg.map((l) => ({
    label: l.name,
    code: l.code,
    probability: null,
    present: (voxels.get(l.index) ?? 0) > 0,
    threshold: null,
    ...(l.findingSite ? { findingSite: l.findingSite } : {}),
  }));
  const algorithmParameters: Record<string, string> = {};
  if (rr) algorithmParameters['rotate-and-retry'] = notes.join(',');
  return {
    findings,
    measurements,
    labelVolume: { rows, columns, frames, data, segments },
    algorithmParameters,
  };
};
