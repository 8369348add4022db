import fs from 'node:fs';
import path from 'node:path';
import { generateUid } from '../../../../src/dicom/uid';
import type { SeriesInstanceRef } from '../../../../src/pipeline/types';
import { greyPixelModule } from '../../../helpers/greyPixelModule';
import { EXPLICIT_VR_LE, writePart10 } from '../../../helpers/part10';

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
    ...greyPixelModule(s.rows, s.columns, s.pixels, { photometric: s.photometric }),
    PixelSpacing: s.pixelSpacing ?? [1, 1],
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
  fs.mkdirSync(dir, { recursive: true });
  const filePath = path.join(dir, `${sopInstanceUid}.dcm`);
  writePart10(filePath, natural);
  return {
    sopInstanceUid,
    sopClassUid,
    transferSyntaxUid: EXPLICIT_VR_LE,
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
