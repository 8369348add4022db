import type { NaturalDataset } from '../../dicom/dcmjs';
import type { Volume } from '../../dicom/volume';

/** Geometry of a voxel grid (a Volume without its data). */
export type Grid = Omit<Volume, 'data'>;

/**
 * The image being prepared for the model: float values laid out [channel][depth][row][column]
 * (column fastest), which is the model's NCHW / NCDHW order once a batch axis of 1 is added.
 */
export interface Work {
  data: Float32Array;
  channels: number;
  depth: number;
  height: number;
  width: number;
  /** Spacing of the current grid in mm: [column, row, slice]. */
  spacingMm: [number, number, number];
  /** Photometric Interpretation of the source (MONOCHROME1 is inverted by the `invert` step). */
  photometricInterpretation: string;
  /** The first source instance's header (window, rescale and clinical attributes). */
  header: NaturalDataset;
  /** Volume and stack inputs: the voxel geometry of `data` (volume `i` = column, `j` = row, `k` = slice). */
  grid?: Grid;
  /** Frame of the source instance (multi-frame images: per-frame rescale). */
  frameIndex: number;
  /** True once the modality LUT has been applied (assembled volumes come rescaled). */
  modalityLutApplied: boolean;
}

/** Bilinear resize of every plane (pixel centres aligned, edges clamped). */
export function resizeBilinear(
  src: Float32Array,
  planes: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
): Float32Array {
  const out = new Float32Array(planes * oh * ow);
  const sy = h / oh;
  const sx = w / ow;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    const obase = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, h - 1);
      const wy = fy - y0;
      for (let x = 0; x < ow; x++) {
        const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, w - 1);
        const wx = fx - x0;
        const a = src[base + y0 * w + x0] * (1 - wx) + src[base + y0 * w + x1] * wx;
        const b = src[base + y1 * w + x0] * (1 - wx) + src[base + y1 * w + x1] * wx;
        out[obase + y * ow + x] = a * (1 - wy) + b * wy;
      }
    }
  }
  return out;
}

/** Nearest-neighbour resize of every plane (labels). */
export function resizeNearest(
  src: Uint8Array,
  planes: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
): Uint8Array {
  const out = new Uint8Array(planes * oh * ow);
  const sy = h / oh;
  const sx = w / ow;
  const xs = new Int32Array(ow);
  for (let x = 0; x < ow; x++) xs[x] = Math.min(w - 1, Math.max(0, Math.round((x + 0.5) * sx - 0.5)));
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < oh; y++) {
      const sy0 = Math.min(h - 1, Math.max(0, Math.round((y + 0.5) * sy - 0.5)));
      const row = p * h * w + sy0 * w;
      const orow = p * oh * ow + y * ow;
      for (let x = 0; x < ow; x++) out[orow + x] = src[row + xs[x]];
    }
  }
  return out;
}

/** Rotates every plane counter-clockwise (as displayed, rows downward) by 90, 180 or 270 degrees. */
export function rotatePlanes<T extends Float32Array | Uint8Array>(
  src: T,
  planes: number,
  h: number,
  w: number,
  angle: 0 | 90 | 180 | 270,
): { data: T; height: number; width: number } {
  if (angle === 0) return { data: src.slice() as T, height: h, width: w };
  const oh = angle === 180 ? h : w;
  const ow = angle === 180 ? w : h;
  const out = new (src.constructor as { new (n: number): T })(planes * h * w);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let ny: number;
        let nx: number;
        if (angle === 90) {
          ny = w - 1 - x;
          nx = y;
        } else if (angle === 180) {
          ny = h - 1 - y;
          nx = w - 1 - x;
        } else {
          ny = x;
          nx = h - 1 - y;
        }
        out[base + ny * ow + nx] = src[base + y * w + x];
      }
    }
  }
  return { data: out, height: oh, width: ow };
}
