import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { encodeResults, type EncodeContext } from '../../src/encode';
import { deriveUid, items, readDicomHeader, str } from '../../src/dicom';
import type { EncodedObject, InferenceResult, SeriesInstanceRef } from '../../src/pipeline/types';
import { BRAIN_SERIES_DIR, describeIf, DICOM_DIR, tempDir, VALIDATE_DICOM } from '../helpers/env';
import { firstFrames, SCT, volumeMeasurement } from '../helpers/resultParts';

/** Results written for real source data, checked by dciodvfy, dsrdump, PixelMed and dcentvfy (RESULTS.md 7). */

const CR_FILE = path.join(
  DICOM_DIR,
  'torchxrayvision',
  '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm',
);
const ENHANCED_CT = path.join(
  DICOM_DIR,
  'dicomParser',
  'testImages',
  'encapsulated',
  'multi-frame',
  'CT0012.explicit_little_endian.dcm',
);
const BRAIN_SLICES = ['IM0080.dcm', 'IM0081.dcm', 'IM0082.dcm', 'IM0083.dcm'].map((f) =>
  path.join(BRAIN_SERIES_DIR, f),
);
const PIXELMED = [
  '-Djdk.xml.xpathExprOpLimit=0',
  '-Djdk.xml.xpathExprGrpLimit=0',
  '-Djdk.xml.xpathTotalOpLimit=0',
  '-cp',
  '/usr/share/java/pixelmed.jar',
];

async function sourceRefs(
  files: string[],
): Promise<{ refs: SeriesInstanceRef[]; study: string; series: string }> {
  const refs: SeriesInstanceRef[] = [];
  let study = '';
  let series = '';
  for (const filePath of files) {
    const h = await readDicomHeader(filePath);
    study = str(h.dataset, 'StudyInstanceUID') ?? '';
    series = str(h.dataset, 'SeriesInstanceUID') ?? '';
    refs.push({
      sopInstanceUid: str(h.dataset, 'SOPInstanceUID') ?? '',
      sopClassUid: str(h.dataset, 'SOPClassUID') ?? '',
      transferSyntaxUid: h.transferSyntaxUid,
      instanceNumber: Number(str(h.dataset, 'InstanceNumber') ?? 0),
      filePath,
    });
  }
  return { refs, study, series };
}

function context(outputDir: string): EncodeContext {
  return {
    outputDir,
    rulesVersion: 'rules-2025-01',
    deviceObserverUid: deriveUid('integration', 'device'),
    deviceObserverName: 'pacs-ai-node',
    manufacturer: 'pacs-ai-node project',
    softwareVersion: '0.1.0',
    institutionName: 'Test Hospital',
    now: new Date(Date.UTC(2025, 5, 1, 12, 0, 0)),
  };
}

/** dciodvfy -new output lines starting with "Error" (the tool's gating messages). */
function dciodvfyErrors(file: string): string[] {
  const r = spawnSync('dciodvfy', ['-new', file], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

function expectValidObjects(objects: EncodedObject[]): void {
  for (const o of objects) {
    expect({ file: path.basename(o.filePath), errors: dciodvfyErrors(o.filePath) }).toEqual({
      file: path.basename(o.filePath),
      errors: [],
    });
    if (o.kind === 'SR') expect(spawnSync('dsrdump', ['-q', o.filePath]).status).toBe(0);
  }
}

function dcentvfyErrors(files: string[]): string[] {
  const r = spawnSync('dcentvfy', files, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

describeIf({ shared: true, tools: ['dciodvfy', 'dsrdump', 'dcentvfy', 'java'] })(
  'encode results of real source data',
  () => {
    let dir: string;
    beforeAll(() => {
      dir = tempDir('pacs-ai-node-encode-');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('chest CR: SR with findings and an area, SEG without frame of reference, heat map and mask SCs, derived image as SC; all validate', async () => {
      const { refs, study, series } = await sourceRefs([CR_FILE]);
      const heat = new Float32Array(64 * 64);
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++) heat[y * 64 + x] = Math.max(0, 1 - Math.hypot(x - 20, y - 30) / 18);
      const result: InferenceResult = {
        modelId: 'cxr-pneumonia',
        modelVersion: '1.2.0',
        modelName: 'PneumoNet',
        task: 'classification',
        algorithmParameters: { threshold: '0.5', input: '224x224' },
        studyInstanceUid: study,
        seriesInstanceUid: series,
        sourceInstances: refs,
        outOfScope: false,
        reason: null,
        findings: [
          {
            label: 'Pneumonia',
            code: { value: '233604007', scheme: 'SCT', meaning: 'Pneumonia' },
            probability: 0.87,
            present: true,
            threshold: 0.5,
            findingSite: { value: '39607008', scheme: 'SCT', meaning: 'Lung' },
          },
          {
            label: 'Pleural effusion',
            code: { value: '60046008', scheme: 'SCT', meaning: 'Pleural effusion' },
            probability: 0.12,
            present: false,
            threshold: 0.5,
          },
        ],
        measurements: [],
        heatMaps: [
          { sopInstanceUid: refs[0]!.sopInstanceUid, frameNumber: 1, rows: 64, columns: 64, data: heat },
        ],
        derivedFrames: [
          {
            sopInstanceUid: refs[0]!.sopInstanceUid,
            frameNumber: 1,
            rows: 1024,
            columns: 1024,
            data: new Uint16Array(1024 * 1024).map((_, i) => (i % 1024) * 4),
            rescaleSlope: 1,
            rescaleIntercept: 0,
          },
        ],
        results: ['SR', 'SC', 'DERIVED', 'SEG'],
        durationMs: 100,
      };
      // a mask on the projection image: a SEG without a frame of reference
      const mask = new Uint8Array(1024 * 1024);
      for (let y = 250; y < 750; y++) for (let x = 150; x < 450; x++) mask[y * 1024 + x] = 1;
      result.labelVolume = {
        rows: 1024,
        columns: 1024,
        frames: [{ sopInstanceUid: refs[0]!.sopInstanceUid, frameNumber: 1 }],
        data: mask,
        segments: [
          {
            segmentNumber: 1,
            label: 'Opacity',
            category: SCT.morphologicallyAbnormalStructure,
            type: { value: '233604007', scheme: 'SCT', meaning: 'Pneumonia' },
            color: [255, 128, 0],
          },
        ],
      };
      result.measurements = [
        {
          name: 'Opacity area',
          code: { value: '42798000', scheme: 'SCT', meaning: 'Area' },
          value: 300 * 500 * 0.168 * 0.168,
          unit: { code: 'mm2', meaning: 'square millimeter' },
        },
      ];
      const out = path.join(dir, 'cr');
      const objects = await encodeResults(result, context(out));
      expect(objects.map((o) => [o.kind, o.sopClassUid])).toEqual([
        ['SEG', '1.2.840.10008.5.1.4.1.1.66.4'],
        ['SR', '1.2.840.10008.5.1.4.1.1.88.33'],
        ['SC', '1.2.840.10008.5.1.4.1.1.7'],
        ['SC', '1.2.840.10008.5.1.4.1.1.7'],
        ['DERIVED', '1.2.840.10008.5.1.4.1.1.7'],
      ]);
      expectValidObjects(objects);
      expect(dcentvfyErrors([CR_FILE, ...objects.map((o) => o.filePath)])).toEqual([]);

      // the shared validator script over the SR (exit status gates on dciodvfy Error lines)
      const sr = objects[1]!.filePath;
      expect(spawnSync(VALIDATE_DICOM, [sr], { encoding: 'utf8' }).status).toBe(0);
      // PixelMed TID 1500 template check of the classification SR: no Error lines
      const pm = execFileSync('java', [...PIXELMED, 'com.pixelmed.validate.DicomSRValidator', sr], {
        encoding: 'utf8',
      });
      expect(pm).toContain('Found Root Template TID_1500');
      expect(pm.split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);
    }, 120_000);

    it('MR brain segmentation: SEG, SR with volumes referencing segments, multi-frame SC, derived MR; all validate', async () => {
      const { refs, study, series } = await sourceRefs(BRAIN_SLICES);
      const first = (await readDicomHeader(BRAIN_SLICES[0]!)).dataset;
      const rows = Number(first.Rows);
      const columns = Number(first.Columns);
      const data = new Uint8Array(refs.length * rows * columns);
      let lesion = 0;
      refs.forEach((_, f) => {
        for (let y = 0; y < rows; y++) {
          for (let x = 0; x < columns; x++) {
            const i = f * rows * columns + y * columns + x;
            if (Math.hypot(x - 60, y - 110) < 12 + f) {
              data[i] = 1;
              lesion++;
            } else if (f === 2 && Math.hypot(x - 120, y - 120) < 6) data[i] = 2;
          }
        }
      });
      const result: InferenceResult = {
        modelId: 'brain-lesion-seg',
        modelVersion: '0.3.1',
        modelName: 'LesionSeg',
        task: 'segmentation',
        algorithmParameters: { threshold: '0.5' },
        studyInstanceUid: study,
        seriesInstanceUid: series,
        sourceInstances: refs,
        outOfScope: false,
        reason: null,
        findings: [],
        measurements: [
          // 1 mm voxels: the voxel count / 1000 is millilitres
          volumeMeasurement('Lesion volume', lesion / 1000, { segmentNumber: 1, findingSite: SCT.brain }),
        ],
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
              type: { value: '52988006', scheme: 'SCT', meaning: 'Lesion' },
              color: [255, 64, 64],
            },
            {
              segmentNumber: 2,
              label: 'Ventricle marker',
              category: SCT.anatomicalStructure,
              type: { value: '35764002', scheme: 'SCT', meaning: 'Brain ventricle' },
              color: [64, 255, 64],
            },
          ],
        },
        derivedFrames: refs.map((r) => ({
          sopInstanceUid: r.sopInstanceUid,
          frameNumber: 1,
          rows,
          columns,
          data: Uint16Array.from(data.subarray(0, rows * columns), (v) => v * 100),
          rescaleSlope: 1,
          rescaleIntercept: 0,
        })),
        results: ['SEG', 'SR', 'SC', 'DERIVED'],
        durationMs: 100,
      };
      const out = path.join(dir, 'mr');
      const objects = await encodeResults(result, context(out));
      expect(objects.map((o) => o.kind)).toEqual([
        'SEG',
        'SR',
        'SC',
        'DERIVED',
        'DERIVED',
        'DERIVED',
        'DERIVED',
      ]);
      expect(objects[2]!.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.7.4');
      expect(objects[3]!.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.4');
      expectValidObjects(objects);
      expect(dcentvfyErrors([...BRAIN_SLICES, ...objects.map((o) => o.filePath)])).toEqual([]);

      const tree = execFileSync('dsrdump', ['+Pc', '+Pt', objects[1]!.filePath], { encoding: 'utf8' });
      expect(tree).toContain('TID 1411');
      expect(tree).toContain('Referenced Segment")=(SG image,,1)');
      expect(tree.match(/IMAGE:=\(MR image,\)/g)).toHaveLength(4);
      // PixelMed TID 1500 check of the volumetric (TID 1411) report: no Error lines
      const pm = execFileSync(
        'java',
        [...PIXELMED, 'com.pixelmed.validate.DicomSRValidator', objects[1]!.filePath],
        {
          encoding: 'utf8',
        },
      );
      expect(pm).toContain('Found Root Template TID_1500');
      expect(pm.split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);
    }, 120_000);

    it('enhanced multi-frame CT: SEG with frame references from the functional groups, SR, SC; all validate', async () => {
      const { refs, study, series } = await sourceRefs([ENHANCED_CT]);
      const data = new Uint8Array(2 * 512 * 512);
      for (let f = 0; f < 2; f++) {
        for (let y = 200; y < 260; y++) for (let x = 220; x < 300; x++) data[f * 512 * 512 + y * 512 + x] = 1;
      }
      const result: InferenceResult = {
        modelId: 'ct-organ',
        modelVersion: '2.0.0',
        modelName: 'OrganSeg',
        task: 'segmentation',
        algorithmParameters: {},
        studyInstanceUid: study,
        seriesInstanceUid: series,
        sourceInstances: refs,
        outOfScope: false,
        reason: null,
        findings: [],
        measurements: [volumeMeasurement('Organ volume', 42.5, { segmentNumber: 1 })],
        labelVolume: {
          rows: 512,
          columns: 512,
          frames: [
            { sopInstanceUid: refs[0]!.sopInstanceUid, frameNumber: 1 },
            { sopInstanceUid: refs[0]!.sopInstanceUid, frameNumber: 2 },
          ],
          data,
          segments: [
            {
              segmentNumber: 1,
              label: 'Organ',
              category: SCT.anatomicalStructure,
              type: { value: '10200004', scheme: 'SCT', meaning: 'Liver' },
              color: [200, 120, 40],
            },
          ],
        },
        results: ['SEG', 'SR', 'SC'],
        durationMs: 100,
      };
      const objects = await encodeResults(result, context(path.join(dir, 'ct')));
      expect(objects.map((o) => o.kind)).toEqual(['SEG', 'SR', 'SC']);
      expectValidObjects(objects);
      expect(dcentvfyErrors([ENHANCED_CT, ...objects.map((o) => o.filePath)])).toEqual([]);
      const seg = (await readDicomHeader(objects[0]!.filePath)).dataset;
      const frames = items(seg, 'PerFrameFunctionalGroupsSequence');
      const sourceOf = (f: (typeof frames)[0]): unknown =>
        items(items(f, 'DerivationImageSequence')[0]!, 'SourceImageSequence')[0]!.ReferencedFrameNumber;
      expect(frames.map(sourceOf)).toEqual([1, 2]);
      expect(frames.map((f) => items(f, 'PlanePositionSequence')[0]!.ImagePositionPatient)).toEqual([
        [99.5, -301.5, -159],
        [99.5, -301.5, -149],
      ]);
    }, 120_000);
  },
);
