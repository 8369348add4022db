import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { encodeResults } from '../../src/encode';
import { deriveUid, num, readDicomHeader, str } from '../../src/dicom';
import type { InferenceResult } from '../../src/pipeline/types';
import { describeIf, DICOM_DIR, tempDir } from '../helpers/env';
import { SCT, volumeMeasurement } from '../helpers/resultParts';

/**
 * Every kind of result over a variety of real sources (modalities, transfer syntaxes, enhanced
 * and classic, old and odd headers): the objects written must add no dciodvfy Error that the
 * source does not already have (values copied verbatim keep the source's own defects).
 */
const SOURCES = [
  'dcm_qa_ts/In/1.dcm', // MR, explicit VR
  'dcmqi/ct-3slice/01.dcm', // CT, implicit VR
  'highdicom/ct_image.dcm', // CT
  'highdicom/dx_image.dcm', // DX with Image Laterality
  'fo-dicom/GH184.dcm', // PET, JPEG lossless
  'fo-dicom/CT-MONO2-16-ankle', // ACR-NEMA style dates, SC of a CT
  'pydicom-data/color-pl.dcm', // US RGB, planar configuration 1
  'dcmjs/cine-test.dcm', // enhanced MR, 8 frames
];

/** dciodvfy Error messages without the element path, so the same defect matches wherever it sits. */
function errorKeys(file: string): string[] {
  const r = spawnSync('dciodvfy', ['-new', file], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('Error'))
    .map((l) => l.replace(/^Error - <[^>]*> - /, '').replace(/^Error - /, ''));
}

function resultFor(
  filePath: string,
  ds: Record<string, unknown>,
  transferSyntaxUid: string,
): InferenceResult {
  const rows = num(ds, 'Rows')!;
  const columns = num(ds, 'Columns')!;
  const frames = Math.min(num(ds, 'NumberOfFrames') ?? 1, 3);
  const uid = str(ds, 'SOPInstanceUID')!;
  const data = new Uint8Array(frames * rows * columns);
  for (let f = 0; f < frames; f++) {
    for (let y = rows >> 2; y < rows >> 1; y++)
      for (let x = columns >> 2; x < columns >> 1; x++) data[(f * rows + y) * columns + x] = 1;
  }
  return {
    modelId: 'any-model',
    modelVersion: '1.0.0',
    modelName: 'AnyModel',
    task: 'segmentation',
    algorithmParameters: { threshold: '0.5' },
    studyInstanceUid: str(ds, 'StudyInstanceUID')!,
    seriesInstanceUid: str(ds, 'SeriesInstanceUID')!,
    sourceInstances: [
      {
        sopInstanceUid: uid,
        sopClassUid: str(ds, 'SOPClassUID')!,
        transferSyntaxUid,
        instanceNumber: 1,
        filePath,
      },
    ],
    outOfScope: false,
    reason: null,
    findings: [
      {
        label: 'Finding',
        code: SCT.morphologicallyAbnormalStructure,
        probability: 0.7,
        present: true,
        threshold: 0.5,
      },
    ],
    measurements: [volumeMeasurement('Volume', 1.5, { segmentNumber: 1 })],
    labelVolume: {
      rows,
      columns,
      frames: Array.from({ length: frames }, (_, f) => ({ sopInstanceUid: uid, frameNumber: f + 1 })),
      data,
      segments: [
        {
          segmentNumber: 1,
          label: 'Region',
          category: SCT.anatomicalStructure,
          type: SCT.anatomicalStructure,
          color: [255, 0, 0],
        },
      ],
    },
    heatMaps: [
      { sopInstanceUid: uid, frameNumber: 1, rows: 4, columns: 4, data: new Float32Array(16).fill(0.8) },
    ],
    derivedFrames: [
      {
        sopInstanceUid: uid,
        frameNumber: 1,
        rows,
        columns,
        data: new Uint16Array(rows * columns),
        rescaleSlope: 1,
        rescaleIntercept: 0,
      },
    ],
    results: ['SEG', 'SR', 'SC', 'DERIVED'],
    durationMs: 1,
  };
}

describeIf({ shared: true, tools: ['dciodvfy'] })('encode results over varied real sources', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('pacs-ai-node-encode-sources-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(SOURCES)(
    '%s: SEG, SR, SC and derived images add no dciodvfy Error',
    async (name) => {
      const filePath = path.join(DICOM_DIR, name);
      const { dataset, transferSyntaxUid } = await readDicomHeader(filePath);
      const out = path.join(dir, deriveUid(name));
      const objects = await encodeResults(resultFor(filePath, dataset, transferSyntaxUid), {
        outputDir: out,
        rulesVersion: 'r1',
        deviceObserverUid: deriveUid('device'),
        deviceObserverName: 'pacs-ai-node',
        manufacturer: 'pacs-ai-node project',
        softwareVersion: '0.1.0',
        now: new Date(Date.UTC(2025, 0, 1)),
      });
      expect(objects.map((o) => o.kind)).toEqual(['SEG', 'SR', 'SC', 'SC', 'DERIVED']);
      const inherited = new Set(errorKeys(filePath));
      for (const o of objects) {
        const added = errorKeys(o.filePath).filter((k) => !inherited.has(k));
        expect({ kind: o.kind, added }).toEqual({ kind: o.kind, added: [] });
      }
    },
    60_000,
  );
});
