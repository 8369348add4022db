import fs from 'node:fs';
import path from 'node:path';
import { dcmjs } from '../../../../src/dicom/dcmjs';
import { generateUid } from '../../../../src/dicom/uid';
import type { SeriesInstanceRef } from '../../../../src/pipeline/types';

/** A synthetic grey image to write (test input only; no PHI). */
export interface ImageSpec {
  rows: number;
  columns: number;
  /** Stored values, row by row. */
  pixels: Uint16Array | Int16Array;
  modality?: string;
  bodyPart?: string | null;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  pixelSpacing?: [number, number];
  patientAge?: string;
  patientSex?: string;
  rescale?: { slope: number; intercept: number };
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  /** Volume slices: Image Position / Orientation (Patient). */
  position?: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  instanceNumber?: number;
}

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const CR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.1';
const NM_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.20';

/** Writes one Part 10 file (Explicit VR Little Endian) into `dir` and returns its series reference. */
export function writeImage(
  dir: string,
  s: ImageSpec,
): SeriesInstanceRef & { studyInstanceUid: string; seriesInstanceUid: string } {
  const modality = s.modality ?? 'CR';
  const sopClassUid =
    modality === 'MR' ? MR_IMAGE_STORAGE : modality === 'NM' ? NM_IMAGE_STORAGE : CR_IMAGE_STORAGE;
  const sopInstanceUid = generateUid();
  const studyInstanceUid = s.studyInstanceUid ?? generateUid();
  const seriesInstanceUid = s.seriesInstanceUid ?? generateUid();
  const signed = s.pixels instanceof Int16Array;
  const natural: Record<string, unknown> = {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: seriesInstanceUid,
    PatientName: 'SYNTHETIC^INFER',
    PatientID: 'SYN-INFER',
    StudyDate: '20260101',
    Modality: modality,
    SeriesNumber: 1,
    InstanceNumber: s.instanceNumber ?? 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: s.photometric ?? 'MONOCHROME2',
    Rows: s.rows,
    Columns: s.columns,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: signed ? 1 : 0,
    PixelSpacing: s.pixelSpacing ?? [1, 1],
    PixelData: [s.pixels.buffer.slice(s.pixels.byteOffset, s.pixels.byteOffset + s.pixels.byteLength)],
    _vrMap: { PixelData: 'OW' },
  };
  if (s.bodyPart !== null) natural.BodyPartExamined = s.bodyPart ?? 'CHEST';
  if (s.patientAge) natural.PatientAge = s.patientAge;
  if (s.patientSex) natural.PatientSex = s.patientSex;
  if (s.rescale) {
    natural.RescaleSlope = s.rescale.slope;
    natural.RescaleIntercept = s.rescale.intercept;
  }
  if (s.position) natural.ImagePositionPatient = s.position;
  if (s.orientation) natural.ImageOrientationPatient = s.orientation;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.1',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(natural);
  fs.mkdirSync(dir, { recursive: true });
  const filePath = path.join(dir, `${sopInstanceUid}.dcm`);
  fs.writeFileSync(filePath, Buffer.from(dict.write() as ArrayBuffer));
  return {
    sopInstanceUid,
    sopClassUid,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    instanceNumber: s.instanceNumber ?? 1,
    filePath,
    studyInstanceUid,
    seriesInstanceUid,
  };
}

/** A rows x columns image with `value(row, column)`. */
export function pixelsOf(
  rows: number,
  columns: number,
  value: (r: number, c: number) => number,
): Uint16Array {
  const p = new Uint16Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) p[r * columns + c] = value(r, c);
  return p;
}
