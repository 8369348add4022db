import { decodeFile, toDisplayRgb, type DecodedImage } from '../dicom';
import type { DisplayFrame, UnderlayReader } from './resultWriter';

/**
 * The default UnderlayReader: decodes a source file with src/dicom/pixels (any transfer syntax)
 * and maps one frame (0-based) to 8-bit display RGB there — Modality LUT, VOI window (header or
 * min/max), MONOCHROME1 inverted, palette and YBR colour converted. The last file decoded is
 * kept, so the frames of one multi-frame source are decoded once; make one reader per run.
 */
export function createDisplayFrameReader(): UnderlayReader {
  let last: { filePath: string; image: DecodedImage } | null = null;
  return async (filePath: string, frameIndex: number): Promise<DisplayFrame> => {
    if (last?.filePath !== filePath) last = { filePath, image: await decodeFile(filePath) };
    const { image } = last;
    return { rows: image.rows, columns: image.columns, rgb: toDisplayRgb(image, frameIndex) };
  };
}
