import { NodeError } from '../../pipeline/errors';
import { str } from '../datasetValues';
import { applyModalityLut, decodeFile } from '../pixels';
import { sliceGeometry, type SliceGeometry } from './sliceGeometry';
import type { AssemblyReport, Direction, Volume } from './volume';

/** Options for {@link assembleVolume}. */
export interface AssembleOptions {
  /** What to do with two slices at the same position: fail, or keep the first in input order (default). */
  onDuplicate?: 'error' | 'keep-first';
  /** What to do when a step between slices differs from the nominal spacing: fail, or stack the slices anyway (default, reported). */
  onGap?: 'error' | 'stack';
}

interface Slice {
  sopInstanceUid: string;
  frameNumber: number;
  order: number;
  geometry: SliceGeometry;
  rows: number;
  columns: number;
  values: Float32Array;
  position: number;
}

const ORIENTATION_TOLERANCE = 1e-3;
const POSITION_TOLERANCE_MM = 1e-2;

function cross(a: number[], b: number[]): [number, number, number] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

function unit(v: number[]): [number, number, number] {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!) || 1;
  return [v[0]! / n, v[1]! / n, v[2]! / n];
}

function median(v: number[]): number {
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Builds a volume from the instances of a series by geometry, never by Instance Number
 * (PS3.3 C.7.6.2.1.1): slices are ordered along the normal of Image Orientation (Patient)
 * (row × column cosines) by the projection of Image Position (Patient) on it; each frame of an
 * enhanced multi-frame instance is a slice (Plane Position/Orientation functional groups). Values
 * are after the Modality LUT. Duplicate positions and uneven steps are reported; differing
 * orientations, matrix sizes or colour images are rejected with NodeError('DECODE_FAILED').
 */
export async function assembleVolume(
  files: string[],
  opts: AssembleOptions = {},
): Promise<{ volume: Volume; report: AssemblyReport }> {
  if (files.length === 0) throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: no instances to assemble');
  const slices: Slice[] = [];
  for (const file of files) {
    const image = await decodeFile(file);
    if (image.samplesPerPixel !== 1)
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: volume assembly needs one sample per pixel, found ${image.samplesPerPixel}`,
      );
    const sopInstanceUid = str(image.header, 'SOPInstanceUID') ?? '';
    for (let f = 0; f < image.frames.length; f++) {
      slices.push({
        sopInstanceUid,
        frameNumber: f + 1,
        order: slices.length,
        geometry: sliceGeometry(image.header, f, image.frames.length),
        rows: image.rows,
        columns: image.columns,
        values: applyModalityLut(image.frames[f]!, image.header, f),
        position: 0,
      });
    }
  }
  const first = slices[0]!;
  const warnings: string[] = [];
  for (const s of slices) {
    if (s.rows !== first.rows || s.columns !== first.columns) {
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: mixed matrix sizes (${first.columns}x${first.rows} and ${s.columns}x${s.rows})`,
      );
    }
    if (
      s.geometry.orientation.some(
        (v, i) => Math.abs(v - first.geometry.orientation[i]!) > ORIENTATION_TOLERANCE,
      )
    ) {
      throw new NodeError(
        'DECODE_FAILED',
        'DECODE_FAILED: mixed orientation: the instances do not share one Image Orientation (Patient)',
        [
          `${first.sopInstanceUid}: ${first.geometry.orientation.join('\\')}`,
          `${s.sopInstanceUid}: ${s.geometry.orientation.join('\\')}`,
        ],
      );
    }
    if (
      Math.abs(s.geometry.pixelSpacing[0] - first.geometry.pixelSpacing[0]) > 1e-4 ||
      Math.abs(s.geometry.pixelSpacing[1] - first.geometry.pixelSpacing[1]) > 1e-4
    ) {
      throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: mixed Pixel Spacing across the instances');
    }
  }
  const o = first.geometry.orientation;
  const row = unit([o[0], o[1], o[2]]);
  const col = unit([o[3], o[4], o[5]]);
  const normal = unit(cross(row, col));
  for (const s of slices)
    s.position =
      s.geometry.position[0] * normal[0] +
      s.geometry.position[1] * normal[1] +
      s.geometry.position[2] * normal[2];
  slices.sort((p, q) => p.position - q.position || p.order - q.order);

  // duplicates: positions within tolerance of each other
  const duplicates: AssemblyReport['duplicates'] = [];
  const kept: Slice[] = [];
  for (let i = 0; i < slices.length;) {
    let j = i + 1;
    while (j < slices.length && slices[j]!.position - slices[i]!.position <= POSITION_TOLERANCE_MM) j++;
    const same = slices.slice(i, j);
    if (same.length > 1) {
      duplicates.push({
        position: round(same[0]!.position),
        sopInstanceUids: same.map((s) => s.sopInstanceUid),
      });
    }
    kept.push(same.reduce((a, b) => (b.order < a.order ? b : a)));
    i = j;
  }
  if (duplicates.length > 0) {
    if (opts.onDuplicate === 'error') {
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: ${duplicates.length} slice position(s) held by more than one instance`,
        duplicates.map((d) => `${d.position} mm: ${d.sopInstanceUids.join(', ')}`),
      );
    }
    warnings.push(`${duplicates.length} duplicate slice position(s); the first instance of each was kept`);
  }

  // spacing and gaps between distinct positions
  const steps = kept.slice(1).map((s, i) => s.position - kept[i]!.position);
  const g0 = first.geometry;
  const nominalMm =
    steps.length > 0 ? nominalStep(steps) : (g0.spacingBetweenSlices ?? g0.sliceThickness ?? 1);
  let sliceSpacingMm = nominalMm;
  const gaps: AssemblyReport['gaps'] = [];
  steps.forEach((step, i) => {
    if (Math.abs(step - sliceSpacingMm) > Math.max(0.1 * sliceSpacingMm, POSITION_TOLERANCE_MM)) {
      gaps.push({
        afterPosition: round(kept[i]!.position),
        spacingMm: round(step),
        expectedMm: round(sliceSpacingMm),
      });
    }
  });
  if (gaps.length === 0 && steps.length > 0) {
    // a regular stack: the mean step puts the first and last slices exactly where they are
    // (rounded DS positions jitter the individual steps)
    sliceSpacingMm = (kept[kept.length - 1]!.position - kept[0]!.position) / steps.length;
  }
  if (gaps.length > 0) {
    if (opts.onGap === 'error') {
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: ${gaps.length} gap(s) in the slice positions (expected ${round(sliceSpacingMm)} mm steps)`,
        gaps.map((g) => `after ${g.afterPosition} mm: ${g.spacingMm} mm`),
      );
    }
    warnings.push(
      `${gaps.length} gap(s) or uneven step(s); the acquired slices are stacked at the nominal ${round(sliceSpacingMm)} mm spacing, so positions after a gap are approximate`,
    );
  }

  // slices not stacked along the normal (gantry tilt) make the regular grid an approximation
  for (let i = 1; i < kept.length; i++) {
    const d = [0, 1, 2].map((x) => kept[i]!.geometry.position[x]! - kept[0]!.geometry.position[x]!);
    const along = d[0]! * normal[0] + d[1]! * normal[1] + d[2]! * normal[2];
    const off = Math.hypot(d[0]! - along * normal[0], d[1]! - along * normal[1], d[2]! - along * normal[2]);
    if (off > 0.01 * Math.max(1, Math.abs(along))) {
      warnings.push(
        'slice positions are sheared relative to the slice normal (gantry tilt?); the volume ignores the shear',
      );
      break;
    }
  }

  const ni = first.columns;
  const nj = first.rows;
  const nk = kept.length;
  const data = new Float32Array(ni * nj * nk);
  kept.forEach((s, k) => data.set(s.values, k * ni * nj));
  const direction: Direction = [row, col, normal];
  const volume: Volume = {
    dims: [ni, nj, nk],
    spacing: [g0.pixelSpacing[1], g0.pixelSpacing[0], sliceSpacingMm],
    origin: [...kept[0]!.geometry.position],
    direction,
    data,
    slices: kept.map((s) => ({ sopInstanceUid: s.sopInstanceUid, frameNumber: s.frameNumber })),
  };
  return { volume, report: { duplicates, gaps, mixedOrientation: false, sliceSpacingMm, warnings } };
}

/**
 * The nominal slice step: the largest unit that divides every step into a whole number (within
 * 5 % of the smallest step), so a series with missing slices still reports its true spacing,
 * refined as the median of step / units to average out rounded positions; the median step when
 * there is no such common divisor of at least a tenth of the smallest step.
 */
function nominalStep(steps: number[]): number {
  const min = Math.min(...steps);
  const tol = 0.05 * min;
  let g = min;
  for (const s of steps) {
    let a = Math.max(g, s);
    let b = Math.min(g, s);
    while (b > tol) {
      const r = a % b;
      a = b;
      b = r > b - tol ? 0 : r;
    }
    g = a;
  }
  const divides = steps.every((s) => Math.abs(s / g - Math.round(s / g)) * g <= tol);
  if (!(g >= min / 10 && divides)) return median(steps);
  // refine: the median of each step divided by its whole number of units (jittered DS positions)
  return median(steps.map((s) => s / Math.max(1, Math.round(s / g))));
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
