import type { NaturalDataset } from '../dcmjs';
import { items, nums } from '../datasetValues';

/**
 * The VOI LUT linear function (PS3.3 C.11.2.1.2.1) to 8 bits: values at or below
 * c - 0.5 - (w - 1) / 2 give 0, above c - 0.5 + (w - 1) / 2 give 255, otherwise
 * ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, rounded. A width below 1 is treated as 1 (a threshold).
 */
export function applyVoiWindow(
  values: Float32Array,
  center: number,
  width: number,
  out?: Uint8Array,
): Uint8Array {
  const n = values.length;
  const dst = out ?? new Uint8Array(n);
  const w = width < 1 ? 1 : width;
  const c = center - 0.5;
  const lower = c - (w - 1) / 2;
  const upper = c + (w - 1) / 2;
  const scale = w > 1 ? 255 / (w - 1) : 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x <= lower) dst[i] = 0;
    else if (x > upper) dst[i] = 255;
    else dst[i] = ((x - c) * scale + 128) | 0; // round half up; the value is in [0, 255]
  }
  return dst;
}

/** Window Center/Width of the image, or of the frame's Frame VOI LUT functional group (PS3.3 C.7.6.16.2.10). */
function headerWindow(header: NaturalDataset, frameIndex: number): { center: number; width: number } | null {
  const candidates = [
    items(items(header, 'PerFrameFunctionalGroupsSequence')[frameIndex] ?? {}, 'FrameVOILUTSequence')[0],
    items(items(header, 'SharedFunctionalGroupsSequence')[0] ?? {}, 'FrameVOILUTSequence')[0],
    header,
  ];
  for (const ds of candidates) {
    if (!ds) continue;
    const c = nums(ds, 'WindowCenter');
    const w = nums(ds, 'WindowWidth');
    if (c.length > 0 && w.length > 0 && w[0]! > 0) return { center: c[0]!, width: w[0]! };
  }
  return null;
}

/**
 * The window to display a frame with: the first Window Center/Width of the header (or of the
 * frame's functional groups), otherwise one spanning the minimum to maximum of the values.
 */
export function defaultWindow(
  values: Float32Array,
  header: NaturalDataset,
  frameIndex = 0,
): { center: number; width: number } {
  const fromHeader = headerWindow(header, frameIndex);
  if (fromHeader) return fromHeader;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) return { center: 0, width: 1 };
  return { center: (min + max) / 2, width: Math.max(1, max - min + 1) };
}
