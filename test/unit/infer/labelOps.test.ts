import {
  argmaxChannels,
  countLabels,
  largestComponentPerLabel,
  medianFilterLabels,
  sigmoidInPlace,
  softmaxChannels,
  thresholdMask,
} from '../../../src/infer/postprocess/labelOps';
import { postprocess } from '../../../src/infer/postprocess/postprocessSteps';
import { resizeBilinear, resizeNearest, rotatePlanes } from '../../../src/infer/preprocess/work';

const grid = (rows: string[]): Uint8Array => Uint8Array.from(rows.join('').split('').map(Number));

describe('label operations', () => {
  it('softmax and sigmoid give the textbook values', () => {
    const s = softmaxChannels(Float32Array.from([0, 1, Math.log(3), 1]), 2);
    // voxel 0: [0, ln3] → [1/4, 3/4]; voxel 1: [1, 1] → [1/2, 1/2]
    expect(Array.from(s)).toEqual([
      expect.closeTo(0.25, 6),
      expect.closeTo(0.5, 6),
      expect.closeTo(0.75, 6),
      expect.closeTo(0.5, 6),
    ]);
    expect(sigmoidInPlace(Float32Array.from([0]))[0]).toBe(0.5);
  });

  it('argmax picks the largest channel, the lowest on ties; threshold is >=', () => {
    // channels x voxels: c0 = [1, 5, 2], c1 = [3, 5, 1], c2 = [0, 4, 2]
    expect(Array.from(argmaxChannels(Float32Array.from([1, 5, 2, 3, 5, 1, 0, 4, 2]), 3))).toEqual([1, 0, 0]);
    expect(Array.from(thresholdMask(Float32Array.from([0.49, 0.5, 0.9]), 0.5))).toEqual([0, 1, 1]);
  });

  it('median filter removes an isolated pixel and rounds the corners of a block', () => {
    const input = grid(['100000', '000000', '001110', '001110', '001110', '000000']);
    const out = medianFilterLabels(input, 1, 6, 6, 3);
    expect(out).toEqual(grid(['000000', '000000', '000100', '001110', '000100', '000000']));
  });

  it('largest component keeps the biggest 4-connected piece of each label', () => {
    const input = grid(['1100', '1001', '0011', '2202']);
    expect(largestComponentPerLabel(input, 1, 4, 4)).toEqual(grid(['1100', '1000', '0000', '2200']));
    expect(countLabels(input)).toEqual(
      new Map([
        [1, 6],
        [2, 3],
      ]),
    );
  });

  it('largest component connects across slices (6-connected in 3D)', () => {
    // two slices of 2x2: a voxel in slice 0 and one right below it in slice 1 form one component of 2.
    const input = Uint8Array.from([1, 0, 0, 1, 1, 0, 0, 0]);
    expect(Array.from(largestComponentPerLabel(input, 2, 2, 2))).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
  });

  it('rotations by 90 and 270 are inverse, 180 twice is the identity', () => {
    const a = Uint8Array.from([1, 2, 3, 4, 5, 6]); // 2 rows x 3 columns
    const r90 = rotatePlanes(a, 1, 2, 3, 90);
    expect([r90.height, r90.width]).toEqual([3, 2]);
    expect(Array.from(r90.data)).toEqual([3, 6, 2, 5, 1, 4]);
    expect(Array.from(rotatePlanes(r90.data, 1, 3, 2, 270).data)).toEqual(Array.from(a));
    expect(Array.from(rotatePlanes(a, 1, 2, 3, 180).data)).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it('bilinear halving averages aligned 2x2 blocks; nearest doubling repeats pixels', () => {
    const src = Float32Array.from([0, 2, 4, 6, 2, 4, 6, 8]); // 2 x 4
    expect(Array.from(resizeBilinear(src, 1, 2, 4, 1, 2))).toEqual([2, 6]);
    expect(Array.from(resizeNearest(Uint8Array.from([1, 2]), 1, 1, 2, 2, 4))).toEqual([
      1, 1, 2, 2, 1, 1, 2, 2,
    ]);
  });

  it('postprocessing steps run in manifest order and refuse filters without labels', () => {
    const scores = Float32Array.from([0, 0, 1, 1]); // 1 channel, 2x2
    const s = postprocess({ scores, channels: 1, depth: 1, height: 2, width: 2 }, [
      { step: 'threshold', threshold: 0.5 },
      { step: 'largest-component' },
    ]);
    expect(Array.from(s.labels!)).toEqual([0, 0, 1, 1]);
    expect(() =>
      postprocess({ scores, channels: 1, depth: 1, height: 2, width: 2 }, [
        { step: 'median-filter', size: 3 },
      ]),
    ).toThrow(expect.objectContaining({ code: 'INFERENCE_FAILED' }));
  });
});
