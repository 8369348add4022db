import { dcmjs } from '../../../src/dicom/dcmjs';
import { generateUid } from '../../../src/dicom/uid';

/** A small synthetic CT instance for store tests (the project's tests make their own inputs). */
export interface SyntheticOptions {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  instanceNumber?: number;
  imagesInAcquisition?: number;
  rows?: number;
  columns?: number;
}

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

export function syntheticDataset(o: SyntheticOptions = {}): Record<string, unknown> {
  const rows = o.rows ?? 16;
  const columns = o.columns ?? 16;
  const pixels = new Int16Array(rows * columns).map((_, i) => (i % 2000) - 1000);
  const ds: Record<string, unknown> = {
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: o.sopInstanceUid ?? generateUid(),
    StudyInstanceUID: o.studyInstanceUid ?? generateUid(),
    SeriesInstanceUID: o.seriesInstanceUid ?? generateUid(),
    Modality: 'CT',
    PatientName: 'Synthetic^Test',
    PatientID: 'SYN001',
    InstanceNumber: o.instanceNumber ?? 1,
    Rows: rows,
    Columns: columns,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleSlope: 1,
    RescaleIntercept: 0,
    PixelData: pixels.buffer,
    _vrMap: { PixelData: 'OW' },
  };
  if (o.imagesInAcquisition !== undefined) ds.ImagesInAcquisition = o.imagesInAcquisition;
  return ds;
}

/** The Part 10 bytes (Explicit VR Little Endian) of a synthetic instance. */
export function syntheticPart10(o: SyntheticOptions = {}): {
  bytes: Buffer;
  dataset: Record<string, unknown>;
} {
  const dataset = syntheticDataset(o);
  const { DicomMetaDictionary, DicomDict } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: '1.2.3.4',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return { bytes: Buffer.from(dict.write()), dataset };
}

/** The data set bytes of a Part 10 buffer (what a C-STORE carries after the command). */
export function datasetOf(part10: Buffer): Buffer {
  return part10.subarray(128 + 4 + 12 + part10.readUInt32LE(140));
}
