import { NodeError } from '../../pipeline/errors';
import type { NaturalDataset } from '../dcmjs';
import { num, str } from '../datasetValues';
import type { PixelDescription } from './decodedImage';

/** Reads and checks the Image Pixel Module attributes (PS3.3 C.7.6.3.1). */
export function pixelDescription(ds: NaturalDataset): PixelDescription {
  const rows = num(ds, 'Rows');
  const columns = num(ds, 'Columns');
  const bitsAllocated = num(ds, 'BitsAllocated');
  if (!rows || !columns || !bitsAllocated) {
    throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: Rows, Columns or Bits Allocated missing or zero');
  }
  if (![1, 8, 12, 16, 32, 64].includes(bitsAllocated)) {
    throw new NodeError('DECODE_FAILED', `DECODE_FAILED: Bits Allocated ${bitsAllocated} is not supported`);
  }
  const bitsStored = num(ds, 'BitsStored') ?? bitsAllocated;
  const samplesPerPixel = num(ds, 'SamplesPerPixel') ?? 1;
  const photometricInterpretation = (
    str(ds, 'PhotometricInterpretation') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')
  ).toUpperCase();
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored: Math.min(bitsStored, bitsAllocated),
    highBit: num(ds, 'HighBit') ?? bitsStored - 1,
    pixelRepresentation: num(ds, 'PixelRepresentation') === 1 ? 1 : 0,
    planarConfiguration: num(ds, 'PlanarConfiguration') === 1 ? 1 : 0,
    photometricInterpretation,
    numberOfFrames: Math.max(1, Math.floor(num(ds, 'NumberOfFrames') ?? 1)),
  };
}

/** Bytes of one native frame (PS3.5 8.1.1; 1-bit frames are packed, YBR_FULL_422 holds 2 samples per pixel). */
export function nativeFrameBytes(d: PixelDescription): number {
  const pixels = d.rows * d.columns;
  if (d.bitsAllocated === 1) return Math.ceil((pixels * d.samplesPerPixel) / 8);
  if (d.bitsAllocated === 12) return Math.ceil((pixels * d.samplesPerPixel * 3) / 2);
  const samples =
    d.photometricInterpretation === 'YBR_FULL_422' || d.photometricInterpretation === 'YBR_PARTIAL_422'
      ? pixels * 2
      : pixels * d.samplesPerPixel;
  return samples * (d.bitsAllocated / 8);
}
