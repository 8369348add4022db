import { dcmjs, type NaturalDataset } from '../../../../src/dicom/dcmjs';

/** Builds an in-memory Part 10 file with dcmjs: a test input, never written outside temp dirs. */
export function syntheticPart10(
  dataset: NaturalDataset,
  transferSyntaxUid: string,
  pixelData?: { values: ArrayBuffer[]; vr: 'OB' | 'OW' },
): Buffer {
  const sopClassUid = String(dataset.SOPClassUID ?? '1.2.840.10008.5.1.4.1.1.7');
  const sopInstanceUid = String(dataset.SOPInstanceUID ?? '2.25.1');
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: '2.25.999',
    _vrMap: {},
  };
  const ds: NaturalDataset = {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    ...dataset,
    _vrMap: {},
  };
  if (pixelData) {
    ds.PixelData = pixelData.values;
    (ds._vrMap as Record<string, string>).PixelData = pixelData.vr;
  }
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  const ab = dict.write({ fragmentMultiframe: false }) as ArrayBuffer;
  return Buffer.from(ab);
}

/** Copies a typed array's bytes into a fresh ArrayBuffer (little-endian, as the host). */
export function bytesOf(a: ArrayBufferView): ArrayBuffer {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice().buffer;
}
