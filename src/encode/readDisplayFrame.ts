import { num, nums, str } from '../dicom';
import { decodeFile } from '../dicom/pixels';
import { NodeError } from '../pipeline/errors';
import type { DisplayFrame } from './resultWriter';

/**
 * The default UnderlayReader: decodes a source frame with src/dicom/pixels and maps it to 8-bit
 * display RGB — Modality LUT (PS3.3 C.11.1 rescale), VOI LUT window (C.11.2.1.2, linear; the
 * frame's min/max when the header has none), MONOCHROME1 inverted; colour frames pass through.
 */
export async function readDisplayFrame(filePath: string, frameIndex: number): Promise<DisplayFrame> {
  const image = await decodeFile(filePath);
  const frame = image.frames[frameIndex];
  if (!frame) throw new NodeError('ENCODE_INVALID', `frame ${frameIndex + 1} not in ${filePath}`);
  const { rows, columns } = image;
  const n = rows * columns;
  const rgb = new Uint8Array(n * 3);
  if (image.samplesPerPixel === 3) {
    const scale = image.bitsAllocated > 8 ? 255 / (2 ** image.bitsStored - 1) : 1;
    for (let i = 0; i < n * 3; i++) rgb[i] = Math.round(Number(frame[i]) * scale);
    return { rows, columns, rgb };
  }
  const slope = num(image.header, 'RescaleSlope') ?? 1;
  const intercept = num(image.header, 'RescaleIntercept') ?? 0;
  const centers = nums(image.header, 'WindowCenter');
  const widths = nums(image.header, 'WindowWidth');
  let center = centers[0];
  let width = widths[0];
  if (center === undefined || width === undefined || width < 1) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = Number(frame[i]) * slope + intercept;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    center = (lo + hi) / 2;
    width = Math.max(1, hi - lo);
  }
  const invert =
    image.photometricInterpretation === 'MONOCHROME1' ||
    str(image.header, 'PresentationLUTShape') === 'INVERSE';
  const low = center - 0.5 - (width - 1) / 2;
  const span = Math.max(1, width - 1);
  for (let i = 0; i < n; i++) {
    const v = Number(frame[i]) * slope + intercept;
    let g = Math.round(((v - low) / span) * 255);
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    if (invert) g = 255 - g;
    rgb[i * 3] = g;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = g;
  }
  return { rows, columns, rgb };
}
