import type { DecodedImage } from '../dicom/pixels';
import { num, nums } from '../dicom/datasetValues';
import { NodeError } from '../pipeline/errors';

/** An 8-bit display image: grey (1 channel) or RGB (3 channels). */
export interface DisplayImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/**
 * Maps one decoded frame to 8-bit display values (PS3.18 10.4.1.1.4 rendered resources):
 * Modality LUT by Rescale Slope/Intercept (PS3.3 C.11.1), VOI by the first Window Center/Width
 * (PS3.3 C.11.2.1.2, linear) or the frame's range, MONOCHROME1 inverted; colour as is (8 bit).
 */
export function renderFrame(img: DecodedImage, frameNumber: number): DisplayImage {
  const frame = img.frames[frameNumber - 1];
  if (!frame)
    throw new NodeError(
      'NOT_FOUND',
      `frame ${frameNumber} does not exist (the instance has ${img.numberOfFrames})`,
    );
  const width = img.columns;
  const height = img.rows;
  const n = width * height;
  if (img.samplesPerPixel === 3) {
    const out = new Uint8Array(n * 3);
    const shift = Math.max(0, img.bitsStored - 8);
    for (let i = 0; i < n * 3; i++) out[i] = Math.max(0, Math.min(255, Number(frame[i] ?? 0) >> shift));
    return { width, height, channels: 3, pixels: out };
  }
  const slope = num(img.header, 'RescaleSlope') ?? 1;
  const intercept = num(img.header, 'RescaleIntercept') ?? 0;
  let center = nums(img.header, 'WindowCenter')[0];
  let widthW = nums(img.header, 'WindowWidth')[0];
  if (center === undefined || widthW === undefined || widthW < 1) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = Number(frame[i]) * slope + intercept;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    center = (lo + hi) / 2;
    widthW = Math.max(1, hi - lo);
  }
  const invert = img.photometricInterpretation === 'MONOCHROME1';
  const out = new Uint8Array(n);
  const low = center - 0.5 - (widthW - 1) / 2;
  const span = Math.max(1, widthW - 1);
  for (let i = 0; i < n; i++) {
    const v = Number(frame[i]) * slope + intercept;
    let y = Math.round(((v - low) / span) * 255);
    y = y < 0 ? 0 : y > 255 ? 255 : y;
    out[i] = invert ? 255 - y : y;
  }
  return { width, height, channels: 1, pixels: out };
}
