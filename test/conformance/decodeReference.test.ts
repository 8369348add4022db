import fs from 'node:fs';
import path from 'node:path';
import { decodeFile, type DecodedImage } from '../../src/dicom/pixels';
import { LOSSLESS_TRANSFER_SYNTAXES } from '../../src/dicom/transferSyntax';
import { DICOM_DIR, describeIf } from '../helpers/env';

jest.setTimeout(120_000);

const QA_DIR = path.join(DICOM_DIR, 'dcm_qa_ts');

/** A minimal NIfTI-1 reader: 348-byte header, dim[], datatype, vox_offset; voxels as numbers. */
function readNifti(file: string): { dims: number[]; voxels: Float64Array } {
  const b = fs.readFileSync(file);
  const le = b.readInt32LE(0) === 348;
  if (!le && b.readInt32BE(0) !== 348) throw new Error('not a NIfTI-1 file');
  const i16 = (o: number): number => (le ? b.readInt16LE(o) : b.readInt16BE(o));
  const ndim = i16(40);
  const dims = Array.from({ length: ndim }, (_, d) => i16(42 + 2 * d));
  const datatype = i16(70);
  const voxOffset = le ? b.readFloatLE(108) : b.readFloatBE(108);
  const count = dims.reduce((a, d) => a * d, 1);
  const voxels = new Float64Array(count);
  const readers: Record<number, [number, (o: number) => number]> = {
    2: [1, (o) => b.readUInt8(o)],
    4: [2, (o) => (le ? b.readInt16LE(o) : b.readInt16BE(o))],
    8: [4, (o) => (le ? b.readInt32LE(o) : b.readInt32BE(o))],
    16: [4, (o) => (le ? b.readFloatLE(o) : b.readFloatBE(o))],
    256: [1, (o) => b.readInt8(o)],
    512: [2, (o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o))],
  };
  const reader = readers[datatype];
  if (!reader) throw new Error(`NIfTI datatype ${datatype} not handled by this reader`);
  for (let v = 0; v < count; v++) voxels[v] = reader[1](voxOffset + v * reader[0]);
  return { dims, voxels };
}

/**
 * How NIfTI voxel (i, j, k) maps onto the DICOM mosaic: tile k (tiles filled row by row),
 * optionally flipped along x and y or transposed inside the tile, optionally with k reversed.
 */
interface Mapping {
  flipX: boolean;
  flipY: boolean;
  transpose: boolean;
  reverseK: boolean;
}

function matches(img: DecodedImage, ref: { dims: number[]; voxels: Float64Array }, m: Mapping): boolean {
  const [nx, ny, nz] = ref.dims as [number, number, number];
  const tilesPerRow = Math.floor(img.columns / nx);
  const frame = img.frames[0]!;
  for (let k = 0; k < nz; k++) {
    const tile = m.reverseK ? nz - 1 - k : k;
    const tr = Math.floor(tile / tilesPerRow);
    const tc = tile % tilesPerRow;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        let x = m.flipX ? nx - 1 - i : i;
        let y = m.flipY ? ny - 1 - j : j;
        if (m.transpose) [x, y] = [y, x];
        const v = frame[(tr * ny + y) * img.columns + tc * nx + x]!;
        if (v !== ref.voxels[i + nx * (j + ny * k)]) return false;
      }
    }
  }
  return true;
}

const ALL_MAPPINGS: Mapping[] = [];
for (const flipX of [false, true])
  for (const flipY of [false, true])
    for (const transpose of [false, true])
      for (const reverseK of [false, true]) ALL_MAPPINGS.push({ flipX, flipY, transpose, reverseK });

describeIf({ shared: true })('bit-exact decoding of dcm_qa_ts against Ref/1.nii', () => {
  const ref = (): { dims: number[]; voxels: Float64Array } => readNifti(path.join(QA_DIR, 'Ref', '1.nii'));
  const files = (): string[] =>
    fs
      .readdirSync(path.join(QA_DIR, 'In'))
      .filter((f) => f.endsWith('.dcm'))
      .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
      .map((f) => path.join(QA_DIR, 'In', f));

  it('finds exactly one orientation mapping from the NIfTI to the mosaic of 1.dcm', async () => {
    const nii = ref();
    expect(nii.dims.slice(0, 3)).toEqual([64, 64, 35]);
    const img = await decodeFile(files()[0]!);
    const found = ALL_MAPPINGS.filter((m) => matches(img, nii, m));
    expect(found).toEqual([{ flipX: false, flipY: true, transpose: false, reverseK: false }]);
  });

  it('decodes every lossless transfer syntax of dcm_qa_ts/In to exactly the reference voxels', async () => {
    const nii = ref();
    const mapping: Mapping = { flipX: false, flipY: true, transpose: false, reverseK: false };
    const seen = new Set<string>();
    const list = files();
    expect(list).toHaveLength(9);
    for (const f of list) {
      const img = await decodeFile(f);
      expect(LOSSLESS_TRANSFER_SYNTAXES).toContain(img.transferSyntaxUid);
      seen.add(img.transferSyntaxUid);
      expect([path.basename(f), img.transferSyntaxUid, matches(img, nii, mapping)]).toEqual([
        path.basename(f),
        img.transferSyntaxUid,
        true,
      ]);
    }
    // implicit, explicit, big endian, RLE, JPEG lossless SV1, JPEG-LS lossless, JPEG 2000 lossless
    expect(seen.size).toBeGreaterThanOrEqual(7);
  });
});
