import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { decodeFile } from '../../src/dicom/pixels';
import { DICOM_DIR, describeIf, tempDir } from '../helpers/env';

jest.setTimeout(300_000);

/** The DCMTK decompressor for each encapsulated syntax it handles (INDEX.tsv transfer_syntax names). */
function dcmtkTool(ts: string): { tool: string; lossless: boolean } | null {
  if (ts === 'RLELossless') return { tool: 'dcmdrle', lossless: true };
  if (ts === 'JPEGLSLossless') return { tool: 'dcmdjpls', lossless: true };
  if (ts === 'JPEGLSLossy') return { tool: 'dcmdjpls', lossless: false };
  if (ts.startsWith('JPEGLossless')) return { tool: 'dcmdjpeg', lossless: true };
  if (ts === 'JPEGBaseline' || ts.startsWith('JPEGExtended')) return { tool: 'dcmdjpeg', lossless: false };
  return null;
}

/** Where DCMTK and we knowingly differ, and why. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // Photometric Interpretation says RGB but the codestream is YCbCr (JFIF or 1,2,3 ids with 4:2:x
  // subsampling): DCMTK trusts the label, we trust the codestream (closer to SC_rgb.dcm).
  'fo-dicom/GH195.dcm': 'YCbCr labelled RGB',
  'pydicom_deb/test_files/SC_rgb_jpeg_lossy_gdcm.dcm': 'YCbCr labelled RGB',
  'pylibjpeg-data/JPEGBaseline/SC_rgb_jpeg_lossy_gdcm.dcm': 'YCbCr labelled RGB',
  // whole-slide tiles coded smaller than Rows x Columns: we place them top-left, zero-filled
  'fo-dicom/multiframe.dcm': 'short edge tiles',
  // the last pixel of frame 2 lies past the end of its codestream
  'pylibjpeg-data/JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm': 'truncated second frame',
};

interface Row {
  path: string;
  ts: string;
  size: string;
}

function rows(): Row[] {
  const lines = fs.readFileSync(path.join(DICOM_DIR, 'INDEX.tsv'), 'utf8').trim().split('\n');
  const h = lines[0]!.split('\t');
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return {
      path: f[h.indexOf('path')]!,
      ts: f[h.indexOf('transfer_syntax')] ?? '',
      size: f[h.indexOf('size')] ?? '',
    };
  });
}

/**
 * An independent decoder as the reference: every RLE, JPEG and JPEG-LS file DCMTK can decompress
 * must decode to the same values (lossless syntaxes) or within ±1 (lossy: libjpeg-turbo vs IJG,
 * and our float IDCT for 12-bit vs IJG's integer IDCT).
 */
describeIf({ shared: true, tools: ['dcmdjpeg', 'dcmdjpls', 'dcmdrle'] })(
  'pixel decoding against DCMTK',
  () => {
    it('matches dcmdrle, dcmdjpls and dcmdjpeg on every file they decode', async () => {
      const dir = tempDir('pixels-dcmtk-');
      const problems: string[] = [];
      let compared = 0;
      try {
        for (const row of rows()) {
          const t = dcmtkTool(row.ts);
          if (!t || KNOWN_DIFFERENCES[row.path] || !/^\d+x\d+$/.test(row.size)) continue;
          const ref = path.join(dir, `${compared}.dcm`);
          try {
            execFileSync(t.tool, [path.join(DICOM_DIR, row.path), ref], { stdio: 'ignore' });
          } catch {
            continue; // DCMTK cannot decode it either (e.g. 1-bit RLE, 7-bit JPEG-LS)
          }
          const ours = await decodeFile(path.join(DICOM_DIR, row.path));
          const theirs = await decodeFile(ref);
          compared++;
          if (ours.frames.length !== theirs.frames.length) {
            problems.push(`${row.path}: ${ours.frames.length} vs ${theirs.frames.length} frames`);
            continue;
          }
          let max = 0;
          ours.frames.forEach((f, i) => {
            const g = theirs.frames[i]!;
            if (f.length !== g.length) max = Infinity;
            else for (let p = 0; p < f.length; p++) max = Math.max(max, Math.abs(f[p]! - g[p]!));
          });
          if (max > (t.lossless ? 0 : 1)) problems.push(`${row.path} (${row.ts}): max difference ${max}`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      expect(problems).toEqual([]);
      expect(compared).toBeGreaterThan(100);
    });
  },
);
