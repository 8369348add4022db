import {
  conformedGrid,
  gridCentre,
  orientationAxes,
  resampleVolume,
  type Volume,
  type VolumeGrid,
} from '../../../../src/dicom/volume';

const LPS: Volume['direction'] = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

function volume(
  dims: [number, number, number],
  f: (i: number, j: number, k: number) => number,
  grid: Partial<VolumeGrid> = {},
): Volume {
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) data[i + dims[0] * (j + dims[1] * k)] = f(i, j, k);
  return { dims, spacing: [1, 1, 1], origin: [0, 0, 0], direction: LPS, data, ...grid };
}

const at = (v: Volume, i: number, j: number, k: number): number =>
  v.data[i + v.dims[0] * (j + v.dims[1] * k)]!;

/** LPS position of a voxel centre. */
function world(g: VolumeGrid, i: number, j: number, k: number): [number, number, number] {
  const idx = [i, j, k];
  return [0, 1, 2].map(
    (x) => g.origin[x]! + [0, 1, 2].reduce((s, a) => s + g.direction[a]![x]! * g.spacing[a]! * idx[a]!, 0),
  ) as [number, number, number];
}

describe('orientationAxes', () => {
  it('maps letters to the LPS directions the axes point toward', () => {
    expect(orientationAxes('LPS')).toEqual(LPS);
    expect(orientationAxes('RAS')).toEqual([
      [-1, 0, 0],
      [0, -1, 0],
      [0, 0, 1],
    ]);
    expect(orientationAxes('lia')).toEqual([
      [1, 0, 0],
      [0, 0, -1],
      [0, -1, 0],
    ]);
  });

  it('rejects codes that are not three distinct body axes', () => {
    expect(() => orientationAxes('LRS')).toThrow(/twice/);
    expect(() => orientationAxes('LP')).toThrow(/three letters/);
    expect(() => orientationAxes('XYZ')).toThrow(/three letters/);
  });
});

describe('conformedGrid', () => {
  it('centres the target grid on the source centre', () => {
    const src: VolumeGrid = {
      dims: [232, 172, 172],
      spacing: [1, 1.2, 0.9],
      origin: [-100, 30, -50],
      direction: LPS,
    };
    const g = conformedGrid(src, [256, 256, 256], 1, 'LIA');
    expect(g.direction).toEqual(orientationAxes('LIA'));
    expect(g.spacing).toEqual([1, 1, 1]);
    const a = gridCentre(src);
    const b = gridCentre(g);
    for (let x = 0; x < 3; x++) expect(b[x]).toBeCloseTo(a[x]!, 9);
  });
});

describe('resampleVolume', () => {
  const src = volume([5, 4, 3], (i, j, k) => i + 10 * j + 100 * k, {
    spacing: [2, 1.5, 3],
    origin: [10, -20, 5],
  });

  it('is the identity on the same grid, for both interpolations', () => {
    for (const interp of ['trilinear', 'nearest'] as const) {
      const out = resampleVolume(src, src, interp);
      expect(Array.from(out.data)).toEqual(Array.from(src.data));
    }
  });

  it('reverses an axis when the target points the other way', () => {
    // +i toward Right instead of Left, starting at the last source column
    const target: VolumeGrid = {
      dims: src.dims,
      spacing: src.spacing,
      origin: world(src, 4, 0, 0),
      direction: [[-1, 0, 0], LPS[1], LPS[2]],
    };
    const out = resampleVolume(src, target, 'nearest');
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < 4; j++)
        for (let i = 0; i < 5; i++) expect(at(out, i, j, k)).toBe(at(src, 4 - i, j, k));
  });

  it('permutes axes exactly (i and k swapped, j reversed)', () => {
    const target: VolumeGrid = {
      dims: [3, 4, 5],
      spacing: [3, 1.5, 2],
      origin: world(src, 0, 3, 0),
      direction: [LPS[2], [0, -1, 0], LPS[0]],
    };
    for (const interp of ['trilinear', 'nearest'] as const) {
      const out = resampleVolume(src, target, interp);
      for (let k = 0; k < 5; k++)
        for (let j = 0; j < 4; j++)
          for (let i = 0; i < 3; i++) expect(at(out, i, j, k)).toBeCloseTo(at(src, k, 3 - j, i), 4);
    }
  });

  it('interpolates a linear ramp exactly with trilinear, on a rotated and shifted grid', () => {
    const ramp = (p: [number, number, number]): number => 2 * p[0] - 3 * p[1] + 0.5 * p[2] + 7;
    const big = volume([20, 20, 20], () => 0, { spacing: [1, 1.25, 2], origin: [-10, -12, -20] });
    for (let k = 0; k < 20; k++)
      for (let j = 0; j < 20; j++)
        for (let i = 0; i < 20; i++) big.data[i + 20 * (j + 20 * k)] = ramp(world(big, i, j, k));
    // 30° about z, fractional spacing, inside the source box
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const target: VolumeGrid = {
      dims: [6, 6, 6],
      spacing: [0.7, 0.9, 1.3],
      origin: [-3.3, -2.1, -4.4],
      direction: [
        [c, s, 0],
        [-s, c, 0],
        [0, 0, 1],
      ],
    };
    const out = resampleVolume(big, target, 'trilinear', -999);
    for (let k = 0; k < 6; k++)
      for (let j = 0; j < 6; j++)
        for (let i = 0; i < 6; i++) expect(at(out, i, j, k)).toBeCloseTo(ramp(world(target, i, j, k)), 3);
  });

  it('fills target voxels outside the source volume', () => {
    const target: VolumeGrid = { ...src, origin: [1000, 1000, 1000] };
    const out = resampleVolume(src, target, 'trilinear', -1);
    expect(out.data.every((v) => v === -1)).toBe(true);
  });

  it('maps labels to a finer grid and back with nearest neighbour unchanged, keeping the slice sources', () => {
    const labels = volume([8, 6, 4], (i, j, k) => (i + j + k) % 3, { spacing: [1, 1, 2], origin: [5, 5, 5] });
    const sourceGrid: Volume = {
      ...labels,
      slices: [0, 1, 2, 3].map((k) => ({ sopInstanceUid: `2.25.${k}`, frameNumber: 1 })),
    };
    const model = conformedGrid(labels, [32, 32, 32], 0.5, 'LIA');
    const onModel = resampleVolume(labels, model, 'nearest');
    const back = resampleVolume(onModel, sourceGrid, 'nearest');
    expect(Array.from(back.data)).toEqual(Array.from(labels.data));
    expect(back.slices).toEqual(sourceGrid.slices);
  });

  it('resamples 232x172x172 to a 256³ LIA grid quickly (time is logged, not asserted)', () => {
    const mr = volume([232, 172, 172], (i, j, k) => (i * 7 + j * 3 + k) % 1000);
    const target = conformedGrid(mr, [256, 256, 256], 1, 'LIA');
    const times: string[] = [];
    for (const interp of ['trilinear', 'nearest'] as const) {
      const t0 = process.hrtime.bigint();
      const out = resampleVolume(mr, target, interp);
      times.push(`${interp} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
      expect(out.data.length).toBe(256 ** 3);
    }
    console.log(`resample 232x172x172 → 256³: ${times.join(', ')}`);
  });
});
