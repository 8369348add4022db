import { decodeFile, toDisplayRgb } from '../dicom';
import type { DisplayFrame } from './resultWriter';

/**
 * The default UnderlayReader: decodes a source file with src/dicom/pixels (any transfer syntax)
 * and maps one frame (0-based) to 8-bit display RGB there — Modality LUT, VOI window (header or
 * min/max), MONOCHROME1 inverted, palette and YBR colour converted.
 */
export async function readDisplayFrame(filePath: string, frameIndex: number): Promise<DisplayFrame> {
  const image = await decodeFile(filePath);
  return { rows: image.rows, columns: image.columns, rgb: toDisplayRgb(image, frameIndex) };
}
