import fs from 'node:fs';
import { buildSegmentation, loadSourceInstances } from '../../../src/encode';
import { items, nums, type NaturalDataset } from '../../../src/dicom';
import { NodeError } from '../../../src/pipeline/errors';
import type { InferenceResult } from '../../../src/pipeline/types';
import { tempDir } from '../../helpers/env';
import { segmentationResult, testContext, writeSyntheticMrSeries } from './syntheticSeries';

function unpack(ds: NaturalDataset, frame: number): Uint8Array {
  const bytes = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]!);
  const n = Number(ds.Rows) * Number(ds.Columns);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = frame * n + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

describe('buildSegmentation', () => {
  let dir: string;
  let result: InferenceResult;
  beforeAll(() => {
    dir = tempDir();
    result = segmentationResult(writeSyntheticMrSeries(dir));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps only non-empty frames, segment by segment, with the source geometry', async () => {
    const sources = await loadSourceInstances(result);
    const ds = buildSegmentation(result, testContext(dir), sources);
    expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    expect([ds.Modality, ds.SegmentationType, ds.BitsAllocated, ds.SeriesNumber]).toEqual([
      'SEG',
      'BINARY',
      1,
      901,
    ]);
    expect(ds.FrameOfReferenceUID).toBe(sources[0]!.dataset.FrameOfReferenceUID);
    expect(ds.NumberOfFrames).toBe(3); // segment 1 on slices 1, 2; segment 2 on slice 0
    const perFrame = items(ds, 'PerFrameFunctionalGroupsSequence');
    const seg = perFrame.map((f) => items(f, 'SegmentIdentificationSequence')[0]!.ReferencedSegmentNumber);
    expect(seg).toEqual([1, 1, 2]);
    const dims = perFrame.map((f) => items(f, 'FrameContentSequence')[0]!.DimensionIndexValues);
    expect(dims).toEqual([
      [1, 2],
      [1, 3],
      [2, 1],
    ]);
    const positions = perFrame.map((f) =>
      nums(items(f, 'PlanePositionSequence')[0]!, 'ImagePositionPatient'),
    );
    expect(positions[0]).toEqual([-12, -16, 1.5]);
    const source = items(items(perFrame[2]!, 'DerivationImageSequence')[0]!, 'SourceImageSequence')[0]!;
    expect(source.ReferencedSOPInstanceUID).toBe(result.sourceInstances[0]!.sopInstanceUid);
    const shared = items(ds, 'SharedFunctionalGroupsSequence')[0]!;
    expect(nums(items(shared, 'PixelMeasuresSequence')[0]!, 'PixelSpacing')).toEqual([1, 1]);

    // the bits of frame 0 are the square of segment 1 on slice 1
    const mask = unpack(ds, 0);
    const expected = result.labelVolume!.data.subarray(32 * 24, 2 * 32 * 24);
    expect(Array.from(mask)).toEqual(Array.from(expected, (v) => (v === 1 ? 1 : 0)));
    const segment = items(ds, 'SegmentSequence')[0]!;
    expect(segment).toMatchObject({
      SegmentNumber: 1,
      SegmentLabel: 'Lesion',
      SegmentAlgorithmType: 'AUTOMATIC',
    });
    // sRGB red = CIELab (53.24, 80.09, 67.20), scaled to 0..65535 (PS3.3 C.10.7.1.1)
    expect(segment.RecommendedDisplayCIELabValue).toEqual([34891, 53480, 50167]);
    expect(items(ds, 'ReferencedSeriesSequence')[0]!.SeriesInstanceUID).toBe(result.seriesInstanceUid);
  });

  it('keeps one empty frame when nothing was segmented', async () => {
    const sources = await loadSourceInstances(result);
    const empty = structuredClone(result);
    empty.labelVolume!.data.fill(0);
    const ds = buildSegmentation(empty, testContext(dir), sources);
    expect(ds.NumberOfFrames).toBe(1);
    expect(unpack(ds, 0).every((v) => v === 0)).toBe(true);
  });

  it.each<[string, (r: InferenceResult) => void, RegExp]>([
    ['a voxel that is no segment', (r) => (r.labelVolume!.data[5] = 7), /not a segment number/],
    ['a size that differs from the source', (r) => (r.labelVolume!.rows = 16), /source is 32x24/],
    ['segments not numbered 1..n', (r) => (r.labelVolume!.segments[1]!.segmentNumber = 5), /must be 2/],
    [
      'a frame of another series',
      (r) => (r.labelVolume!.frames[0]!.sopInstanceUid = '1.2.3'),
      /not a source instance/,
    ],
  ])('rejects %s with ENCODE_INVALID', async (_name, mutate, detail) => {
    const sources = await loadSourceInstances(result);
    const bad = structuredClone(result);
    mutate(bad);
    expect(() => buildSegmentation(bad, testContext(dir), sources)).toThrow(NodeError);
    try {
      buildSegmentation(bad, testContext(dir), sources);
    } catch (e) {
      expect((e as NodeError).code).toBe('ENCODE_INVALID');
      expect((e as NodeError).details.join('\n')).toMatch(detail);
    }
  });
});
