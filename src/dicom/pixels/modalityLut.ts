import type { NaturalDataset } from '../dcmjs';
import { items, num } from '../datasetValues';
import { lutDescriptor, lutWords } from './lutData';

/** The Pixel Value Transformation of one frame: header, shared or per-frame functional groups (PS3.3 C.7.6.16.2.9). */
function rescaleFor(header: NaturalDataset, frameIndex: number): { slope: number; intercept: number } | null {
  const fromItem = (ds: NaturalDataset | undefined): { slope: number; intercept: number } | null => {
    if (!ds) return null;
    const pvt = items(ds, 'PixelValueTransformationSequence')[0];
    if (!pvt) return null;
    const slope = num(pvt, 'RescaleSlope');
    const intercept = num(pvt, 'RescaleIntercept');
    return slope === null && intercept === null ? null : { slope: slope ?? 1, intercept: intercept ?? 0 };
  };
  const perFrame = fromItem(items(header, 'PerFrameFunctionalGroupsSequence')[frameIndex]);
  if (perFrame) return perFrame;
  const shared = fromItem(items(header, 'SharedFunctionalGroupsSequence')[0]);
  if (shared) return shared;
  const slope = num(header, 'RescaleSlope');
  const intercept = num(header, 'RescaleIntercept');
  return slope === null && intercept === null ? null : { slope: slope ?? 1, intercept: intercept ?? 0 };
}

/**
 * Applies the Modality LUT (PS3.3 C.11.1): Rescale Slope/Intercept (from the image, or for an
 * enhanced multi-frame image from the per-frame or shared Pixel Value Transformation), or a
 * Modality LUT Sequence; identity when neither is present. 8-bit signed values are read as such.
 */
export function applyModalityLut(
  frame: ArrayLike<number>,
  header: NaturalDataset,
  frameIndex = 0,
): Float32Array {
  const n = frame.length;
  const out = new Float32Array(n);
  const signed8 =
    frame instanceof Uint8Array &&
    num(header, 'PixelRepresentation') === 1 &&
    (num(header, 'BitsAllocated') ?? 8) === 8;
  const lutItem = items(header, 'ModalityLUTSequence')[0];
  const rescale = rescaleFor(header, frameIndex);
  if (!rescale && lutItem) {
    const desc = lutDescriptor(lutItem, 'LUTDescriptor');
    const data = lutWords(lutItem, 'LUTData', desc);
    if (desc && data.length > 0) {
      const last = data.length - 1;
      for (let i = 0; i < n; i++) {
        const v = signed8 ? (frame[i]! << 24) >> 24 : frame[i]!;
        const idx = v - desc.firstMapped;
        out[i] = data[idx < 0 ? 0 : idx > last ? last : idx]!;
      }
      return out;
    }
  }
  const slope = rescale?.slope ?? 1;
  const intercept = rescale?.intercept ?? 0;
  for (let i = 0; i < n; i++) {
    const v = signed8 ? (frame[i]! << 24) >> 24 : frame[i]!;
    out[i] = v * slope + intercept;
  }
  return out;
}
