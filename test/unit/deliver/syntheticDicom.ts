import path from 'node:path';
import { generateUid } from '../../../src/dicom/uid';
import type { EncodedObject } from '../../../src/pipeline/types';
import { greyPixelModule } from '../../helpers/greyPixelModule';
import { EXPLICIT_VR_LE, writePart10 } from '../../helpers/part10';

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
  const transferSyntaxUid = o.transferSyntaxUid ?? EXPLICIT_VR_LE;
  const studyInstanceUid = o.studyInstanceUid ?? generateUid();
  const seriesInstanceUid = o.seriesInstanceUid ?? generateUid();
  const sopInstanceUid = o.sopInstanceUid ?? generateUid();
  const pixels = new Uint16Array(rows * columns).map((_, i) => i % 4096);
  const file = path.join(dir, `${sopInstanceUid}.dcm`);
  writePart10(
    file,
    {
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
      ...greyPixelModule(rows, columns, pixels, { bitsStored: 12 }),
    },
    { transferSyntaxUid },
  );
  return { file, sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid, transferSyntaxUid };
}

/** A synthetic file as an encoded SC result of model `modelId` version 1, ready for the delivery outbox. */
export function asEncodedObject(f: SyntheticFile, modelId = 'm'): EncodedObject {
  return {
    kind: 'SC',
    sopClassUid: f.sopClassUid,
    sopInstanceUid: f.sopInstanceUid,
    seriesInstanceUid: f.seriesInstanceUid,
    studyInstanceUid: f.studyInstanceUid,
    transferSyntaxUid: f.transferSyntaxUid,
    filePath: f.file,
    modelId,
    modelVersion: '1',
  };
}
