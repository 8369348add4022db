import { NodeError } from '../../pipeline/errors';
import type { DecodedImage } from './decodedImage';
import { applyModalityLut } from './modalityLut';
import { paletteToRgb } from './paletteColor';
import { applyVoiWindow, defaultWindow } from './voiWindow';

/**
 * One frame as interleaved 8-bit RGB for display (PS3.4 N.2 pipeline, simplified): monochrome
 * goes through the Modality LUT, the VOI window (header or min/max) and MONOCHROME1 inversion;
 * PALETTE COLOR through its LUTs; RGB is copied (scaled to 8 bits when wider).
 */
export function toDisplayRgb(image: DecodedImage, frameIndex: number): Uint8Array {
  const frame = image.frames[frameIndex];
  if (!frame)
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: frame ${frameIndex} does not exist (${image.numberOfFrames} frames)`,
    );
  const pixels = image.rows * image.columns;
  const pi = image.photometricInterpretation;
  if (image.samplesPerPixel === 1 && pi === 'PALETTE COLOR') return paletteToRgb(frame, image.header);
  if (image.samplesPerPixel === 1) {
    const values = applyModalityLut(frame, image.header, frameIndex);
    const { center, width } = defaultWindow(values, image.header, frameIndex);
    const grey = applyVoiWindow(values, center, width);
    const invert = pi === 'MONOCHROME1';
    const out = new Uint8Array(pixels * 3);
    for (let i = 0, o = 0; i < pixels; i++, o += 3) {
      const g = invert ? 255 - grey[i]! : grey[i]!;
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
    }
    return out;
  }
  if (image.samplesPerPixel === 3) {
    if (frame instanceof Uint8Array) return frame.slice(0, pixels * 3);
    const shift = Math.max(0, image.bitsStored - 8);
    const out = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels * 3; i++) out[i] = Math.max(0, Math.min(255, frame[i]! >> shift));
    return out;
  }
  throw new NodeError(
    'DECODE_FAILED',
    `DECODE_FAILED: cannot display ${image.samplesPerPixel} samples per pixel (${pi})`,
  );
}
