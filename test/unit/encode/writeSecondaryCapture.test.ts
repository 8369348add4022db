import fs from 'node:fs';
import path from 'node:path';
import { encodeResults, loadSourceInstances, writeDerivedSeries } from '../../../src/encode';
import { frameGeometry } from '../../../src/encode/frameGeometry';
import { patientOrientationOf } from '../../../src/encode/patientOrientation';
import { fromDataset } from '../../../src/encode/sourceInstances';
import { keySliceIndices } from '../../../src/encode/writeSecondaryCapture';
import { items, readDicomHeader, type NaturalDataset } from '../../../src/dicom';
import type { InferenceResult, SeriesInstanceRef } from '../../../src/pipeline/types';
import { tempDir } from '../../helpers/env';
import {
  baseResult,
  inMemoryRef,
  segmentationResult,
  testContext,
  writeSyntheticMrSeries,
} from './syntheticSeries';

describe('Secondary Capture', () => {
  let dir: string;
  let refs: SeriesInstanceRef[];
  beforeAll(() => {
    dir = tempDir();
    refs = writeSyntheticMrSeries(path.join(dir, 'src'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one single-frame SC per heat map, referencing its source frame', async () => {
    const result: InferenceResult = { ...baseResult(refs), results: ['SC'] };
    result.findings = [
      {
        label: 'Thing',
        code: { value: '1', scheme: 'DCM', meaning: 'x' },
        probability: 0.9,
        present: true,
        threshold: 0.5,
      },
    ];
    result.heatMaps = [0, 2].map((i) => ({
      sopInstanceUid: refs[i]!.sopInstanceUid,
      frameNumber: 1,
      rows: 4,
      columns: 4,
      data: new Float32Array(16).fill(1),
    }));
    const objects = await encodeResults(result, testContext(path.join(dir, 'heat')));
    const sc = objects.filter((o) => o.kind === 'SC');
    expect(sc).toHaveLength(2);
    expect(new Set(sc.map((o) => o.seriesInstanceUid)).size).toBe(1);
    const ds = (await readDicomHeader(sc[1]!.filePath)).dataset;
    expect(ds).toMatchObject({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
      Modality: 'OT',
      SeriesNumber: 902,
      InstanceNumber: 2,
      BurnedInAnnotation: 'YES',
      ConversionType: 'WSD',
      ImageComments: 'AI RESULT - NOT FOR PRIMARY DIAGNOSIS',
      SamplesPerPixel: 3,
      BitsAllocated: 8,
      PlanarConfiguration: 0,
    });
    expect(items(ds, 'SourceImageSequence')[0]!.ReferencedSOPInstanceUID).toBe(refs[2]!.sopInstanceUid);
    expect(String(ds.SeriesDescription)).toContain('TestNet');
  });

  it('renders derived frames of sources the IOD cannot carry as an SC in the derived series', async () => {
    const result: InferenceResult = { ...baseResult(refs), results: ['DERIVED'] };
    result.derivedFrames = [
      {
        sopInstanceUid: refs[0]!.sopInstanceUid,
        frameNumber: 1,
        rows: 32,
        columns: 24,
        data: new Uint16Array(768),
        rescaleSlope: 1,
        rescaleIntercept: 0,
      },
    ];
    const sources = await loadSourceInstances(result);
    sources[0]!.ref = { ...sources[0]!.ref, sopClassUid: '1.2.840.10008.5.1.4.1.1.7' };
    const objects = await writeDerivedSeries({
      result,
      ctx: testContext(path.join(dir, 'derived')),
      sources,
      built: [],
      readUnderlay: () => Promise.reject(new Error('not used')),
    });
    expect(objects.map((o) => [o.kind, o.sopClassUid])).toEqual([['DERIVED', '1.2.840.10008.5.1.4.1.1.7']]);
    const ds = (await readDicomHeader(objects[0]!.filePath)).dataset;
    expect(ds.SeriesNumber).toBe(903);
  });
});

describe('key slices, orientation, geometry', () => {
  it('chooses the slices with most mask, in slice order', () => {
    const volume = segmentationResult([
      inMemoryRef,
      { ...inMemoryRef, sopInstanceUid: '1.3' },
      { ...inMemoryRef, sopInstanceUid: '1.4' },
    ]).labelVolume!;
    expect(keySliceIndices(volume, 0)).toEqual([0, 1, 2]);
    expect(keySliceIndices(volume, 2)).toEqual([1, 2]);
    expect(keySliceIndices(volume, 1)).toEqual([1]);
  });

  it('derives Patient Orientation from the image orientation, or keeps the source value', () => {
    const axial = fromDataset(inMemoryRef, { ImageOrientationPatient: [1, 0, 0, 0, 1, 0] });
    const sagittal = fromDataset(inMemoryRef, { ImageOrientationPatient: [0, 1, 0, 0, 0, -1] });
    const cr = fromDataset(inMemoryRef, { PatientOrientation: ['P', 'F'] });
    expect(patientOrientationOf(axial)).toEqual(['L', 'P']);
    expect(patientOrientationOf(sagittal)).toEqual(['P', 'F']);
    expect(patientOrientationOf(cr)).toEqual(['P', 'F']);
    expect(patientOrientationOf(fromDataset(inMemoryRef, {}))).toBe('');
  });

  it('reads the geometry of an enhanced frame from its functional groups', () => {
    const ds: NaturalDataset = {
      NumberOfFrames: 2,
      FrameOfReferenceUID: '1.9',
      SharedFunctionalGroupsSequence: [
        {
          PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }],
          PixelMeasuresSequence: [{ PixelSpacing: [0.5, 0.5], SliceThickness: 2 }],
        },
      ],
      PerFrameFunctionalGroupsSequence: [
        { PlanePositionSequence: [{ ImagePositionPatient: [0, 0, 0] }] },
        { PlanePositionSequence: [{ ImagePositionPatient: [0, 0, 2] }] },
      ],
    };
    const g = frameGeometry(fromDataset(inMemoryRef, ds), 2);
    expect(g).toEqual({
      frameOfReferenceUid: '1.9',
      position: [0, 0, 2],
      orientation: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.5, 0.5],
      sliceThickness: 2,
      spacingBetweenSlices: null,
    });
  });
});
