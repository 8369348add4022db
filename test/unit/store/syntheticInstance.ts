import { generateUid } from '../../../src/dicom/uid';
import { greyPixelModule } from '../../helpers/greyPixelModule';
import { EXPLICIT_VR_LE, part10Bytes } from '../../helpers/part10';

export { datasetOf, EXPLICIT_VR_LE } from '../../helpers/part10';

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
    ...greyPixelModule(rows, columns, pixels),
    RescaleSlope: 1,
    RescaleIntercept: 0,
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
  return {
    bytes: part10Bytes(dataset, { transferSyntaxUid: EXPLICIT_VR_LE, implementationClassUid: '1.2.3.4' }),
    dataset,
  };
}
