import type { NaturalDataset } from '../../../../src/dicom/dcmjs';
import { part10Bytes } from '../../../helpers/part10';

/** Builds an in-memory Part 10 file with dcmjs: a test input, never written outside temp dirs. */
export function syntheticPart10(
  dataset: NaturalDataset,
  transferSyntaxUid: string,
  pixelData?: { values: ArrayBuffer[]; vr: 'OB' | 'OW' },
): Buffer {
  const ds: NaturalDataset = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
    SOPInstanceUID: '2.25.1',
    ...dataset,
    _vrMap: {},
  };
  if (pixelData) {
    ds.PixelData = pixelData.values;
    (ds._vrMap as Record<string, string>).PixelData = pixelData.vr;
  }
  return part10Bytes(ds, {
    transferSyntaxUid,
    implementationClassUid: '2.25.999',
    writeOptions: { fragmentMultiframe: false },
  });
}

/** Copies a typed array's bytes into a fresh ArrayBuffer (little-endian, as the host). */
export function bytesOf(a: ArrayBufferView): ArrayBuffer {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice().buffer;
}
