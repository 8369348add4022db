import fs from 'node:fs';
import path from 'node:path';
import { deriveUid, SopClass, TransferSyntax } from '../../../src/dicom';
import type { InferenceResult, SeriesInstanceRef } from '../../../src/pipeline/types';
import type { EncodeContext } from '../../../src/encode';
import { greyPixelModule } from '../../helpers/greyPixelModule';
import { writePart10 } from '../../helpers/part10';
import { firstFrames, SCT, volumeMeasurement } from '../../helpers/resultParts';

/** A source reference with no file behind it, for sources built in memory (fromDataset). */
export const inMemoryRef: SeriesInstanceRef = {
  sopInstanceUid: '1.2',
  sopClassUid: '1.2.3',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  instanceNumber: 1,
  filePath: '',
};

/** A synthetic MR series written with dcmjs in a temp folder: a bright square in the middle of each slice. */
export function writeSyntheticMrSeries(
  dir: string,
  slices = 3,
  rows = 32,
  columns = 24,
): SeriesInstanceRef[] {
  const studyUid = deriveUid('test', 'study');
  const seriesUid = deriveUid('test', 'series');
  const forUid = deriveUid('test', 'for');
  const refs: SeriesInstanceRef[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < slices; i++) {
    const sopInstanceUid = deriveUid('test', 'instance', String(i));
    const pixels = new Uint16Array(rows * columns);
    for (let y = 0; y < rows; y++)
      for (let x = 0; x < columns; x++) pixels[y * columns + x] = (x * 7 + y * 3) % 200;
    const ds = {
      SpecificCharacterSet: 'ISO_IR 100',
      SOPClassUID: SopClass.MRImage,
      SOPInstanceUID: sopInstanceUid,
      ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND'],
      StudyDate: '20240102',
      StudyTime: '101500',
      AccessionNumber: 'ACC1',
      Modality: 'MR',
      Manufacturer: 'Test',
      ReferringPhysicianName: '',
      PatientName: [{ Alphabetic: 'Test^Patient' }],
      PatientID: 'PID1',
      PatientBirthDate: '19700101',
      PatientSex: 'F',
      PatientAge: '054Y',
      BodyPartExamined: 'HEAD',
      PatientPosition: 'HFS',
      ScanningSequence: 'GR',
      SequenceVariant: 'SP',
      ScanOptions: '',
      MRAcquisitionType: '3D',
      EchoTime: 3,
      RepetitionTime: 2000,
      EchoTrainLength: 1,
      SliceThickness: 1,
      StudyInstanceUID: studyUid,
      SeriesInstanceUID: seriesUid,
      StudyID: '1',
      SeriesNumber: 3,
      InstanceNumber: i + 1,
      ImagePositionPatient: [-12, -16, i * 1.5],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      FrameOfReferenceUID: forUid,
      PositionReferenceIndicator: '',
      SliceLocation: i * 1.5,
      PixelSpacing: [1, 1],
      WindowCenter: 100,
      WindowWidth: 200,
      ...greyPixelModule(rows, columns, pixels),
    };
    const filePath = path.join(dir, `slice${i}.dcm`);
    writePart10(filePath, ds, {
      transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
      implementationClassUid: deriveUid('test', 'impl'),
    });
    refs.push({
      sopInstanceUid,
      sopClassUid: SopClass.MRImage,
      transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
      instanceNumber: i + 1,
      filePath,
    });
  }
  return refs;
}

/** An encode context for tests. */
export function testContext(outputDir: string, extra: Partial<EncodeContext> = {}): EncodeContext {
  return {
    outputDir,
    rulesVersion: 'rules-1',
    deviceObserverUid: deriveUid('test', 'device'),
    deviceObserverName: 'pacs-ai-node',
    manufacturer: 'pacs-ai-node project',
    softwareVersion: '0.1.0',
    now: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)),
    ...extra,
  };
}

/** A segmentation result on a synthetic series: segment 1 a square on slices 1..n-1, segment 2 a bar on slice 0. */
export function segmentationResult(refs: SeriesInstanceRef[], rows = 32, columns = 24): InferenceResult {
  const data = new Uint8Array(refs.length * rows * columns);
  refs.forEach((_, f) => {
    for (let y = 10; y < 20; y++)
      for (let x = 8; x < 16; x++) if (f > 0) data[f * rows * columns + y * columns + x] = 1;
    if (f === 0) for (let x = 2; x < 6; x++) data[3 * columns + x] = 2;
  });
  return {
    ...baseResult(refs),
    task: 'segmentation',
    measurements: [volumeMeasurement('Lesion volume', 0.24, { segmentNumber: 1, findingSite: SCT.brain })],
    labelVolume: {
      rows,
      columns,
      frames: firstFrames(refs),
      data,
      segments: [
        {
          segmentNumber: 1,
          label: 'Lesion',
          category: SCT.morphologicallyAbnormalStructure,
          type: { value: '108369006', scheme: 'SCT', meaning: 'Neoplasm' },
          color: [255, 0, 0],
        },
        {
          segmentNumber: 2,
          label: 'Marker',
          category: SCT.anatomicalStructure,
          type: SCT.brain,
          color: [0, 255, 0],
        },
      ],
    },
    results: ['SR', 'SEG', 'SC'],
  };
}

/** The common part of a result on the synthetic series. */
export function baseResult(refs: SeriesInstanceRef[]): InferenceResult {
  return {
    modelId: 'test-model',
    modelVersion: '1.0.0',
    modelName: 'TestNet',
    task: 'classification',
    algorithmParameters: { threshold: '0.5' },
    studyInstanceUid: deriveUid('test', 'study'),
    seriesInstanceUid: deriveUid('test', 'series'),
    sourceInstances: refs,
    outOfScope: false,
    reason: null,
    findings: [],
    measurements: [],
    results: ['SR'],
    durationMs: 10,
  };
}
