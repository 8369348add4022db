import fs from 'node:fs';
import path from 'node:path';
import { NodeError } from '../../../../src/pipeline/errors';
import { assembleVolume } from '../../../../src/dicom/volume';
import { tempDir } from '../../../helpers/env';
import { bytesOf, syntheticPart10 } from '../pixels/syntheticPart10';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const ROWS = 3;
const COLS = 4;

/** A slice whose every pixel holds `value` (stored), at a position along the oblique normal. */
function writeSlice(
  dir: string,
  name: string,
  opts: { z: number; value: number; instanceNumber: number; orientation?: number[]; uid?: string },
): string {
  const row = [Math.SQRT1_2, Math.SQRT1_2, 0];
  const col = [0, 0, -1];
  const normal = [-Math.SQRT1_2, Math.SQRT1_2, 0]; // row × col
  const o = opts.orientation ?? [...row, ...col];
  const origin = [10, 20, 30].map((v, x) => v + opts.z * normal[x]!);
  const px = new Int16Array(ROWS * COLS).fill(opts.value);
  const buf = syntheticPart10(
    {
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: opts.uid ?? `2.25.${opts.instanceNumber}${Math.round(opts.z * 10)}`,
      InstanceNumber: opts.instanceNumber,
      Rows: ROWS,
      Columns: COLS,
      SamplesPerPixel: 1,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      ImagePositionPatient: origin,
      ImageOrientationPatient: o,
      PixelSpacing: [0.8, 0.6],
      SliceThickness: 2,
      RescaleSlope: 1,
      RescaleIntercept: -1024,
    },
    EXPLICIT_LE,
    { values: [bytesOf(px)], vr: 'OW' },
  );
  const file = path.join(dir, name);
  fs.writeFileSync(file, buf);
  return file;
}

describe('assembleVolume (synthetic series in a temp dir)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('pixels-volume-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('orders oblique slices by position along the normal, not by instance number', async () => {
    // instance numbers deliberately run against the geometry
    const files = [4, 0, 6, 2].map((z, n) =>
      writeSlice(dir, `s${n}.dcm`, { z, value: 1000 + z, instanceNumber: n + 1 }),
    );
    const { volume, report } = await assembleVolume(files);
    expect(volume.dims).toEqual([COLS, ROWS, 4]);
    expect(volume.spacing[0]).toBeCloseTo(0.6, 9); // between columns
    expect(volume.spacing[1]).toBeCloseTo(0.8, 9); // between rows
    expect(volume.spacing[2]).toBeCloseTo(2, 9);
    expect(volume.direction[2][0]).toBeCloseTo(-Math.SQRT1_2, 9);
    expect(volume.direction[2][1]).toBeCloseTo(Math.SQRT1_2, 9);
    // slice k holds value 1000 + 2k, minus the intercept 1024
    for (let k = 0; k < 4; k++) expect(volume.data[k * ROWS * COLS]).toBe(1000 + 2 * k - 1024);
    expect(volume.origin).toEqual([10, 20, 30]);
    expect(report).toMatchObject({ duplicates: [], gaps: [], mixedOrientation: false, warnings: [] });
    expect(volume.slices!.map((s) => s.frameNumber)).toEqual([1, 1, 1, 1]);
  });

  it('reports duplicate positions and gaps, keeping the first duplicate in input order', async () => {
    const files = [
      writeSlice(dir, 'a.dcm', { z: 0, value: 1, instanceNumber: 1, uid: '2.25.101' }),
      writeSlice(dir, 'b.dcm', { z: 2, value: 2, instanceNumber: 2, uid: '2.25.102' }),
      writeSlice(dir, 'c.dcm', { z: 2, value: 3, instanceNumber: 3, uid: '2.25.103' }),
      writeSlice(dir, 'd.dcm', { z: 8, value: 4, instanceNumber: 4, uid: '2.25.104' }),
      writeSlice(dir, 'e.dcm', { z: 10, value: 5, instanceNumber: 5, uid: '2.25.105' }),
    ];
    const { volume, report } = await assembleVolume(files);
    // positions are projections of Image Position (Patient) on the normal: (10, 20, 30)·n + z
    const base = -10 * Math.SQRT1_2 + 20 * Math.SQRT1_2;
    expect(report.duplicates).toHaveLength(1);
    expect(report.duplicates[0]!.sopInstanceUids).toEqual(['2.25.102', '2.25.103']);
    expect(report.duplicates[0]!.position).toBeCloseTo(base + 2, 3);
    expect(report.sliceSpacingMm).toBeCloseTo(2, 9);
    expect(report.gaps).toHaveLength(1);
    expect(report.gaps[0]!.afterPosition).toBeCloseTo(base + 2, 3);
    expect(report.gaps[0]).toMatchObject({ spacingMm: 6, expectedMm: 2 });
    expect(volume.dims[2]).toBe(4);
    expect(volume.slices!.map((s) => s.sopInstanceUid)).toEqual([
      '2.25.101',
      '2.25.102',
      '2.25.104',
      '2.25.105',
    ]);
    await expect(assembleVolume(files, { onDuplicate: 'error' })).rejects.toThrow(
      /held by more than one instance/,
    );
    await expect(assembleVolume(files, { onGap: 'error' })).rejects.toThrow(/gap/);
  });

  it('rejects mixed orientations with a typed error', async () => {
    const files = [
      writeSlice(dir, 'a.dcm', { z: 0, value: 1, instanceNumber: 1 }),
      writeSlice(dir, 'b.dcm', { z: 1, value: 1, instanceNumber: 2, orientation: [1, 0, 0, 0, 1, 0] }),
    ];
    const err = await assembleVolume(files).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as NodeError).code).toBe('DECODE_FAILED');
    expect((err as NodeError).message).toMatch(/mixed orientation/);
  });

  it('builds a volume from an enhanced multi-frame image by its per-frame plane positions', async () => {
    const frames = 3;
    const px = new Uint16Array(ROWS * COLS * frames);
    for (let f = 0; f < frames; f++) px.fill(10 * (frames - f), f * ROWS * COLS, (f + 1) * ROWS * COLS);
    const buf = syntheticPart10(
      {
        SOPClassUID: '1.2.840.10008.5.1.4.1.1.4.1',
        SOPInstanceUID: '2.25.777',
        Rows: ROWS,
        Columns: COLS,
        NumberOfFrames: frames,
        SamplesPerPixel: 1,
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 0,
        PhotometricInterpretation: 'MONOCHROME2',
        SharedFunctionalGroupsSequence: [
          {
            PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }],
            PixelMeasuresSequence: [{ PixelSpacing: [0.5, 0.5], SliceThickness: 1.5 }],
          },
        ],
        // frames stored from top (z = 3) to bottom (z = 0)
        PerFrameFunctionalGroupsSequence: [3, 1.5, 0].map((z) => ({
          PlanePositionSequence: [{ ImagePositionPatient: [0, 0, z] }],
        })),
      },
      EXPLICIT_LE,
      { values: [bytesOf(px)], vr: 'OW' },
    );
    const file = path.join(dir, 'enhanced.dcm');
    fs.writeFileSync(file, buf);
    const { volume, report } = await assembleVolume([file]);
    expect(volume.dims).toEqual([COLS, ROWS, 3]);
    expect(report.sliceSpacingMm).toBeCloseTo(1.5, 9);
    expect(volume.slices!.map((s) => s.frameNumber)).toEqual([3, 2, 1]);
    expect([0, 1, 2].map((k) => volume.data[k * ROWS * COLS])).toEqual([10, 20, 30]);
  });
});
