import fs from 'node:fs';
import path from 'node:path';
import { NodeError } from '../../src/pipeline/errors';
import { readDicomHeader } from '../../src/dicom/readDicomHeader';
import { decodeFile, paletteToRgb, toDisplayRgb, type DecodedImage } from '../../src/dicom/pixels';
import { DICOM_DIR, describeIf, MALFORMED_FILES } from '../helpers/env';

jest.setTimeout(300_000);

/**
 * Files that cannot be decoded, with the reason the error must name. Everything else in
 * INDEX.tsv that has a Rows x Columns size must decode.
 */
const EXPECTED_FAILURES: Record<string, RegExp> = {
  // malformed or odd on purpose
  'fo-dicom/GH1146.dcm': /Pixel Data holds 0 bytes/,
  'fo-dicom/genFile.dcm': /no SOI\/SOF marker/,
  'pydicom_deb/test_files/JPEG2000-embedded-sequence-delimiter.dcm': /produced no image/,
  'pydicom_deb/test_files/MR_truncated.dcm': /Pixel Data holds 8130 bytes/,
  // dcmjs stops at the undefined-length UN sequence of these big-endian files before Pixel Data
  'fo-dicom/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_ELE_undefinded_length.dcm': /no Pixel Data/,
  'fo-dicom/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_undefined_length.dcm': /no Pixel Data/,
  // image attributes without any Pixel Data element (dcmdump shows none)
  'fo-dicom/GH178.dcm': /no Pixel Data/,
  'fo-dicom/GH179A.dcm': /no Pixel Data/,
  'fo-dicom/charset/chrJapMulti.dcm': /no Pixel Data/,
  'fo-dicom/charset/chrJapMultiExplicitIR6.dcm': /no Pixel Data/,
  'fo-dicom/charset/chrKoreanMulti.dcm': /no Pixel Data/,
};

/** Malformed on purpose (data README): decoding is tolerant, but anything thrown must be typed. */
const MALFORMED = [...MALFORMED_FILES];

interface IndexRow {
  path: string;
  transferSyntax: string;
  rows: number;
  columns: number;
  frames: number;
}

function readIndex(): IndexRow[] {
  const lines = fs.readFileSync(path.join(DICOM_DIR, 'INDEX.tsv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    const [r, c] = (f[col('size')] ?? '').split('x').map(Number);
    return {
      path: f[col('path')]!,
      transferSyntax: f[col('transfer_syntax')] ?? '',
      rows: r || 0,
      columns: c || 0,
      frames: Number(f[col('frames')]) || 1,
    };
  });
}

function sameValues(a: DecodedImage, b: DecodedImage): boolean {
  if (a.frames.length !== b.frames.length) return false;
  return a.frames.every((f, i) => {
    const g = b.frames[i]!;
    if (f.length !== g.length) return false;
    for (let p = 0; p < f.length; p++) if (f[p] !== g[p]) return false;
    return true;
  });
}

function meanAbsDiff(a: DecodedImage, b: DecodedImage): number {
  let sum = 0;
  let n = 0;
  a.frames.forEach((f, i) => {
    const g = b.frames[i]!;
    for (let p = 0; p < f.length; p++) sum += Math.abs(f[p]! - g[p]!);
    n += f.length;
  });
  return sum / n;
}

const file = (p: string): string => path.join(DICOM_DIR, p);

describeIf({ shared: true })('pixel decoding over every file of ../shared/data/dicom/INDEX.tsv', () => {
  const rows = readIndex();

  it('lists the expected-failure files in INDEX.tsv', () => {
    const paths = new Set(rows.map((r) => r.path));
    for (const p of [...Object.keys(EXPECTED_FAILURES), ...MALFORMED]) expect(paths.has(p)).toBe(true);
  });

  it('decodes every image row (frames x rows x columns x samples) or fails with the expected typed error', async () => {
    const problems: string[] = [];
    let decoded = 0;
    for (const row of rows.filter((r) => r.rows > 0 && r.columns > 0)) {
      const expected = EXPECTED_FAILURES[row.path];
      try {
        const img = await decodeFile(file(row.path));
        decoded++;
        if (expected) problems.push(`${row.path}: decoded, expected ${expected}`);
        if (img.rows !== row.rows || img.columns !== row.columns)
          problems.push(`${row.path}: ${img.rows}x${img.columns}`);
        if (img.numberOfFrames !== row.frames || img.frames.length !== row.frames) {
          problems.push(`${row.path}: ${img.frames.length} frames, INDEX says ${row.frames}`);
        }
        const want = row.rows * row.columns * img.samplesPerPixel;
        for (const f of img.frames)
          if (f.length !== want) problems.push(`${row.path}: frame of ${f.length} values, want ${want}`);
        if (img.samplesPerPixel === 3 && img.photometricInterpretation !== 'RGB') {
          problems.push(`${row.path}: colour left as ${img.photometricInterpretation}`);
        }
      } catch (e) {
        if (!(e instanceof NodeError) || e.code !== 'DECODE_FAILED')
          problems.push(`${row.path}: untyped error ${String(e)}`);
        else if (!expected) problems.push(`${row.path}: ${e.message}`);
        else if (!expected.test(e.message))
          problems.push(`${row.path}: "${e.message}" does not match ${expected}`);
      }
    }
    expect(problems).toEqual([]);
    expect(decoded).toBeGreaterThan(350);
  });

  it('decodes the malformed files tolerantly or fails with a typed DECODE_FAILED error', async () => {
    for (const p of MALFORMED) {
      try {
        const img = await decodeFile(file(p));
        for (const f of img.frames) expect(f.length).toBe(img.rows * img.columns * img.samplesPerPixel);
      } catch (e) {
        expect(e).toBeInstanceOf(NodeError);
        expect((e as NodeError).code).toBe('DECODE_FAILED');
        expect((e as NodeError).message).toMatch(/^DECODE_FAILED: /);
      }
    }
  });

  // The same image in several lossless syntaxes must decode to identical stored values.
  const LOSSLESS_FAMILIES: Record<string, string[]> = {
    'dicomParser/testImages/encapsulated/single-frame/CT1_UNC.explicit_little_endian.dcm': [
      'dicomParser/testImages/encapsulated/single-frame/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm',
      'dicomParser/testImages/encapsulated/single-frame/CT1_UNC.fragmented_no_bot_jpeg_ls.80.dcm',
      'dicomParser/testImages/encapsulated/single-frame/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm',
      'dicomParser/testImages/encapsulated/single-frame/CT1_UNC.not_fragmented_no_bot_jpeg_ls.80.dcm',
    ],
    'dicomParser/testImages/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm': [
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_lossless.57.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_ls.80.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.not_fragmented_bot_jpeg_ls.80.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.not_fragmented_bot_rle.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.not_fragmented_no_bot_rle.dcm',
    ],
    'pydicom-data/emri_small.dcm': [
      'pydicom-data/emri_small_RLE.dcm',
      'pydicom-data/emri_small_big_endian.dcm',
      'pydicom-data/emri_small_jpeg_2k_lossless.dcm',
      'pydicom-data/emri_small_jpeg_ls_lossless.dcm',
    ],
    'pydicom-data/liver.dcm': [
      'pydicom-data/liver_deflate.dcm',
      'pydicom-data/liver_expb.dcm',
      'pydicom-data/liver_j2k.dcm',
      'pydicom-data/liver_rle.dcm',
    ],
    'pydicom-data/liver_nonbyte_aligned.dcm': [
      'pydicom-data/liver_nonbyte_aligned_deflate.dcm',
      'pydicom-data/liver_nonbyte_aligned_j2k.dcm',
      'pydicom-data/liver_nonbyte_aligned_rle.dcm',
    ],
    'pydicom-data/OBXXXX1A.dcm': ['pydicom-data/OBXXXX1A_expb.dcm', 'pydicom-data/OBXXXX1A_rle.dcm'],
    'pydicom-data/OBXXXX1A_2frame.dcm': [
      'pydicom-data/OBXXXX1A_expb_2frame.dcm',
      'pydicom-data/OBXXXX1A_rle_2frame.dcm',
    ],
    'pydicom-data/SC_rgb.dcm': ['pydicom-data/SC_rgb_expb.dcm'],
    'pydicom-data/SC_rgb_16bit_2frame.dcm': ['pydicom-data/SC_rgb_expb_16bit_2frame.dcm'],
    'pydicom-data/SC_rgb_32bit_2frame.dcm': ['pydicom-data/SC_rgb_expb_32bit_2frame.dcm'],
    'pydicom-data/693_UNCR.dcm': ['pydicom-data/693_J2KR.dcm'],
    'pydicom-data/MR2_UNCR.dcm': ['pydicom-data/MR2_J2KR.dcm'],
    'pydicom-data/US1_UNCR.dcm': ['pydicom-data/US1_J2KR.dcm'],
    'pydicom-data/JLSL_RGB_ILV0.dcm': ['pydicom-data/JLSL_RGB_ILV1.dcm', 'pydicom-data/JLSL_RGB_ILV2.dcm'],
    'pydicom-data/gdcm-US-ALOKA-16.dcm': ['pydicom-data/gdcm-US-ALOKA-16_big.dcm'],
    // the same CT with the J2K sign and Pixel Representation disagreeing either way
    'pylibjpeg-data/JPEG2000Lossless/TOSHIBA_J2K_SIZ0_PixRep1.dcm': [
      'pylibjpeg-data/JPEG2000Lossless/TOSHIBA_J2K_SIZ1_PixRep0.dcm',
    ],
  };

  it.each(Object.entries(LOSSLESS_FAMILIES))(
    'decodes %s and its lossless encodings to identical values',
    async (ref, others) => {
      const reference = await decodeFile(file(ref));
      for (const other of others) {
        const img = await decodeFile(file(other));
        expect([other, sameValues(reference, img)]).toEqual([other, true]);
      }
    },
  );

  // Lossy encodings of the same image: close to the original (catches colour and sign mistakes).
  const LOSSY_PAIRS: Array<[string, string, number]> = [
    ['pydicom-data/US1_UNCR.dcm', 'pydicom-data/US1_J2KI.dcm', 3],
    ['pydicom-data/HTJ2KLossless_08_RGB.dcm', 'pydicom-data/HTJ2K_08_RGB.dcm', 3],
    ['pydicom-data/MR2_UNCR.dcm', 'pydicom-data/MR2_J2KI.dcm', 20],
    ['pydicom-data/SC_rgb.dcm', 'pydicom-data/SC_ybr_full_uncompressed.dcm', 1],
    ['pydicom-data/SC_rgb.dcm', 'pydicom_deb/test_files/SC_rgb_dcmtk_+eb+cy+np.dcm', 4],
    ['pydicom-data/SC_rgb.dcm', 'pydicom_deb/test_files/SC_rgb_dcmtk_+eb+cr.dcm', 4],
    ['pydicom-data/SC_rgb.dcm', 'pydicom_deb/test_files/SC_rgb_dcmtk_+eb+cy+s2.dcm', 4],
    [
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm',
      'dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_ls.81.dcm',
      5,
    ],
  ];

  it.each(LOSSY_PAIRS)(
    'decodes %s and the lossy %s to within %d on average',
    async (ref, lossy, tolerance) => {
      const a = await decodeFile(file(ref));
      const b = await decodeFile(file(lossy));
      expect(b.frames.length).toBe(a.frames.length);
      expect(meanAbsDiff(a, b)).toBeLessThanOrEqual(tolerance);
    },
  );

  it('displays the MONOCHROME1-labelled copy of the torchxrayvision chest X-ray inverted', async () => {
    const dir = 'torchxrayvision';
    const original = await decodeFile(
      file(`${dir}/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm`),
    );
    const fake = await decodeFile(file(`${dir}/Fake_MONOHR1.dcm`));
    expect([original.photometricInterpretation, fake.photometricInterpretation]).toEqual([
      'MONOCHROME2',
      'MONOCHROME1',
    ]);
    expect(sameValues(original, fake)).toBe(true);
    const a = toDisplayRgb(original, 0);
    const b = toDisplayRgb(fake, 0);
    let inverted = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === 255 - b[i]!) inverted++;
    expect(inverted).toBe(a.length);
    expect(a.length).toBe(1024 * 1024 * 3);
  });

  it('reads the 8-bit Hot Iron colour palette (PS3.6 Annex B well-known palette): black to red to white', async () => {
    const { dataset } = await readDicomHeader(file('pydicom_deb/palettes/hotiron.dcm'));
    const rgb = paletteToRgb(
      Array.from({ length: 256 }, (_, i) => i),
      dataset,
    );
    const channel = (c: number): number[] => Array.from({ length: 256 }, (_, i) => rgb[i * 3 + c]!);
    for (const c of [0, 1, 2]) {
      const v = channel(c);
      expect(v.every((x, i) => i === 0 || x >= v[i - 1]!)).toBe(true);
      expect([v[0], v[255]]).toEqual([0, 255]);
    }
    // red rises first: it saturates before green and blue start
    expect(channel(0)[127]).toBeGreaterThan(channel(1)[127]!);
    expect(channel(1)[191]).toBeGreaterThanOrEqual(channel(2)[191]!);
  });
});
