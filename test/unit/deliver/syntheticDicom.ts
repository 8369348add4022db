import fs from 'node:fs';
import path from 'node:path';
import { dcmjs } from '../../../src/dicom/dcmjs';
import { generateUid } from '../../../src/dicom/uid';

/** What a synthetic instance is made of (test input only; no PHI). */
export interface SyntheticOptions {
  sopClassUid?: string;
  transferSyntaxUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  rows?: number;
  columns?: number;
}

export interface SyntheticFile {
  file: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
}

/** Writes a small Secondary Capture (PS3.3 A.8) Part 10 file with dcmjs into `dir`. */
export function writeSyntheticInstance(dir: string, o: SyntheticOptions = {}): SyntheticFile {
  const rows = o.rows ?? 16;
  const columns = o.columns ?? 16;
  const sopClassUid = o.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.7';
  const transferSyntaxUid = o.transferSyntaxUid ?? '1.2.840.10008.1.2.1';
  const studyInstanceUid = o.studyInstanceUid ?? generateUid();
  const seriesInstanceUid = o.seriesInstanceUid ?? generateUid();
  const sopInstanceUid = o.sopInstanceUid ?? generateUid();
  const pixels = new Uint16Array(rows * columns).map((_, i) => i % 4096);
  const natural = {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: seriesInstanceUid,
    PatientName: 'SYNTHETIC^TEST',
    PatientID: 'SYN0001',
    StudyDate: '20260101',
    StudyTime: '120000',
    Modality: 'OT',
    ConversionType: 'WSD',
    SeriesNumber: 1,
    InstanceNumber: 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: '2.25.1',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(natural);
  const file = path.join(dir, `${sopInstanceUid}.dcm`);
  fs.writeFileSync(file, Buffer.from(dict.write() as ArrayBuffer));
  return { file, sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid, transferSyntaxUid };
}
