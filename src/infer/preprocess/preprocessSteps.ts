import { nums } from '../../dicom/datasetValues';
import { applyModalityLut } from '../../dicom/pixels';
import { conformedGrid, resampleVolume, type Volume } from '../../dicom/volume';
import { NodeError } from '../../pipeline/errors';
import type { ModelManifest, PreprocessStepSpec } from '../manifest/modelManifestSchema';
import { resizeBilinear, type Work } from './work';

/** What a step may need beyond the image: the manifest (grid of a volume input). */
export interface PreprocessContext {
  manifest: ModelManifest;
}

/** A preprocessing step: takes the work image and its spec, returns the new work image. */
export type PreprocessStep<K extends PreprocessStepSpec['step']> = (
  w: Work,
  spec: Extract<PreprocessStepSpec, { step: K }>,
  ctx: PreprocessContext,
) => Work;

/** Preprocessing steps by manifest key (STYLE.md 9: extend by registering). */
export type PreprocessRegistry = { readonly [K in PreprocessStepSpec['step']]: PreprocessStep<K> };

function minMax(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** PS3.3 C.7.6.16.2.9 / C.11.1: stored values → modality values, per plane. */
const modalityLut: PreprocessStep<'modality-lut'> = (w) => {
  if (w.modalityLutApplied) return w;
  const plane = w.height * w.width;
  const out = new Float32Array(w.data.length);
  for (let p = 0; p < w.channels * w.depth; p++) {
    out.set(applyModalityLut(w.data.subarray(p * plane, (p + 1) * plane), w.header, w.frameIndex), p * plane);
  }
  return { ...w, data: out, modalityLutApplied: true };
};

/** Photometric inversion (MONOCHROME1: minimum is white, PS3.3 C.7.6.3.1.2): v → max + min − v. */
const invert: PreprocessStep<'invert'> = (w, spec) => {
  if (spec.when === 'MONOCHROME1' && w.photometricInterpretation !== 'MONOCHROME1') return w;
  const [lo, hi] = minMax(w.data);
  const out = new Float32Array(w.data.length);
  for (let i = 0; i < out.length; i++) out[i] = hi + lo - w.data[i];
  return { ...w, data: out, photometricInterpretation: 'MONOCHROME2' };
};

/**
 * Linear VOI window to [0, 1] (PS3.3 C.11.2.1.2.1). Centre and width from the step, else the
 * image's first Window Center / Width, else the full range of the values.
 */
const window: PreprocessStep<'window'> = (w, spec) => {
  let c = spec.center;
  let wd = spec.width;
  if (c === undefined || wd === undefined) {
    const hc = nums(w.header, 'WindowCenter')[0];
    const hw = nums(w.header, 'WindowWidth')[0];
    if (hc !== undefined && hw !== undefined && hw >= 1) {
      c = hc;
      wd = hw;
    } else {
      const [lo, hi] = minMax(w.data);
      c = (lo + hi) / 2 + 0.5;
      wd = Math.max(1, hi - lo + 1);
    }
  }
  const out = new Float32Array(w.data.length);
  const low = c - 0.5 - (wd - 1) / 2;
  const high = c - 0.5 + (wd - 1) / 2;
  for (let i = 0; i < out.length; i++) {
    const x = w.data[i];
    out[i] = x <= low ? 0 : x > high ? 1 : wd <= 1 ? 1 : (x - (c - 0.5)) / (wd - 1) + 0.5;
  }
  return { ...w, data: out };
};

/** Bilinear resize of every plane to rows x columns; the spacing follows. */
const resize: PreprocessStep<'resize'> = (w, spec) => {
  if (w.height === spec.rows && w.width === spec.columns) return w;
  const data = resizeBilinear(w.data, w.channels * w.depth, w.height, w.width, spec.rows, spec.columns);
  const spacingMm: [number, number, number] = [
    (w.spacingMm[0] * w.width) / spec.columns,
    (w.spacingMm[1] * w.height) / spec.rows,
    w.spacingMm[2],
  ];
  return { ...w, data, height: spec.rows, width: spec.columns, spacingMm, grid: undefined };
};

/** Resamples a volume input to the manifest's conformed grid (orientation, spacing, dims). */
const resample: PreprocessStep<'resample'> = (w, spec, ctx) => {
  const g = ctx.manifest.input.grid;
  if (!w.grid || !g) throw new NodeError('INFERENCE_FAILED', 'resample needs a volume input with input.grid');
  if (w.channels !== 1) throw new NodeError('INFERENCE_FAILED', 'resample runs before channel-repeat');
  const target = conformedGrid(w.grid, g.dims, g.spacingMm, g.orientation);
  const src: Volume = { ...w.grid, data: w.data };
  const out = resampleVolume(src, target, spec.interpolation, 0);
  return {
    ...w,
    data: out.data,
    width: out.dims[0],
    height: out.dims[1],
    depth: out.dims[2],
    spacingMm: [out.spacing[0], out.spacing[1], out.spacing[2]],
    grid: { ...target },
  };
};

/** Intensity normalisation: min-max to `to`, z-score, or a fixed range mapped to `to`. */
const normalize: PreprocessStep<'normalize'> = (w, spec) => {
  const out = new Float32Array(w.data.length);
  const [t0, t1] = spec.to;
  if (spec.method === 'z-score') {
    let sum = 0;
    for (let i = 0; i < w.data.length; i++) sum += w.data[i];
    const mean = sum / w.data.length;
    let ss = 0;
    for (let i = 0; i < w.data.length; i++) ss += (w.data[i] - mean) ** 2;
    const sd = Math.sqrt(ss / w.data.length) || 1;
    for (let i = 0; i < out.length; i++) out[i] = (w.data[i] - mean) / sd;
    return { ...w, data: out };
  }
  const [lo, hi] = spec.method === 'min-max' ? minMax(w.data) : spec.range!;
  const scale = hi > lo ? (t1 - t0) / (hi - lo) : 0;
  const clip = spec.method === 'fixed-range' && spec.clip;
  const a = Math.min(t0, t1);
  const b = Math.max(t0, t1);
  for (let i = 0; i < out.length; i++) {
    let v = t0 + (w.data[i] - lo) * scale;
    if (clip) v = v < a ? a : v > b ? b : v;
    out[i] = v;
  }
  return { ...w, data: out };
};

/** Repeats a single channel (grey image into an RGB-trained model). */
const channelRepeat: PreprocessStep<'channel-repeat'> = (w, spec) => {
  if (w.channels !== 1)
    throw new NodeError('INFERENCE_FAILED', `channel-repeat needs 1 channel, has ${w.channels}`);
  const out = new Float32Array(w.data.length * spec.channels);
  for (let c = 0; c < spec.channels; c++) out.set(w.data, c * w.data.length);
  return { ...w, data: out, channels: spec.channels };
};

/** The built-in preprocessing steps. */
export const PREPROCESS_STEPS: PreprocessRegistry = Object.freeze({
  'modality-lut': modalityLut,
  invert,
  window,
  resize,
  resample,
  normalize,
  'channel-repeat': channelRepeat,
});

/** Applies the manifest's steps in order. */
export function preprocess(
  w: Work,
  steps: readonly PreprocessStepSpec[],
  ctx: PreprocessContext,
  registry: PreprocessRegistry = PREPROCESS_STEPS,
): Work {
  let cur = w;
  for (const s of steps) {
    const fn = registry[s.step] as PreprocessStep<typeof s.step>;
    cur = fn(cur, s as never, ctx);
  }
  return cur;
}
