import fs from 'node:fs/promises';
import { dcmjs } from '../dicom/dcmjs';
import { DatasetInvalidError } from '../pipeline/errors';

/** One attribute of a DICOM JSON dataset (PS3.18 F.2.2). */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

/** A DICOM JSON dataset (PS3.18 F.2): 8-hex-digit tags → attributes. */
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

type RawDict = Record<string, { vr?: string; Value?: unknown[] }>;

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/**
 * Converts a dcmjs dictionary (tag → {vr, Value}) into DICOM JSON (PS3.18 F.2): group lengths
 * dropped, empty values without a "Value", bulk data (binary VRs) left out, sequences recursive.
 */
export function toDicomJson(dict: RawDict, keep?: ReadonlySet<string>): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const tag of Object.keys(dict).sort()) {
    const t = tag.toUpperCase();
    if (t.endsWith('0000') || t.startsWith('0002')) continue;
    if (keep && !keep.has(t)) continue;
    const el = dict[tag]!;
    const vr = el.vr ?? 'UN';
    if (BINARY_VRS.has(vr) || t === '7FE00010') continue;
    const values = Array.isArray(el.Value) ? el.Value : [];
    let value: unknown[];
    if (vr === 'SQ')
      value = values.filter((x) => x && typeof x === 'object').map((x) => toDicomJson(x as RawDict));
    else if (vr === 'PN')
      value = values.map((x) => (x && typeof x === 'object' && Object.keys(x).length ? x : null));
    else
      value = values.map((x) =>
        typeof x === 'string'
          ? x.replace(/[\0 ]+$/, '') === ''
            ? null
            : x.replace(/[\0 ]+$/, '')
          : (x ?? null),
      );
    const attr: DicomJsonAttribute = { vr };
    if (value.some((x) => x !== null)) attr.Value = value;
    out[t] = attr;
  }
  return out;
}

const FIRST_READ = 64 * 1024;
const MAX_HEADER = 64 * 1024 * 1024;

/** The dataset of a Part 10 file up to Pixel Data, as DICOM JSON (PS3.18 F.2), reading only a prefix. */
export async function readDicomJson(
  file: string,
  keep?: ReadonlySet<string>,
): Promise<{ dataset: DicomJsonDataset; transferSyntaxUid: string }> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    let want = Math.min(size, FIRST_READ);
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      try {
        const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) as ArrayBuffer;
        const r = dcmjs.data.DicomMessage.readFile(ab, {
          untilTag: '7FE00010',
          includeUntilTagValue: false,
        }) as unknown as {
          meta: RawDict;
          dict: RawDict;
        };
        const ts = String(r.meta['00020010']?.Value?.[0] ?? '')
          .replace(/\0/g, '')
          .trim();
        return { dataset: toDicomJson(r.dict, keep), transferSyntaxUid: ts };
      } catch (e) {
        if (bytesRead >= size || want >= MAX_HEADER)
          throw new DatasetInvalidError(`not a readable DICOM Part 10 file: ${(e as Error).message}`, {
            cause: e,
          });
        want = Math.min(size, want * 4, MAX_HEADER);
      }
    }
  } finally {
    await fh.close();
  }
}

/** The text of an attribute for matching: PN → Alphabetic, multiple values joined with "\\". */
export function attributeText(ds: DicomJsonDataset, tag: string): string {
  const v = ds[tag]?.Value;
  if (!v) return '';
  return v
    .map((x) =>
      x && typeof x === 'object'
        ? String((x as { Alphabetic?: unknown }).Alphabetic ?? '')
        : x === null
          ? ''
          : String(x),
    )
    .join('\\');
}

/** Keyword (PatientName) or tag (00100010) → tag, or null when unknown. */
export function tagOf(keywordOrTag: string): string | null {
  if (/^[0-9a-fA-F]{8}$/.test(keywordOrTag)) return keywordOrTag.toUpperCase();
  const entry = (
    dcmjs.data.DicomMetaDictionary as unknown as { nameMap: Record<string, { tag: string } | undefined> }
  ).nameMap[keywordOrTag];
  if (!entry) return null;
  return entry.tag.replace(/[(),]/g, '').toUpperCase();
}
