import { dcmjs, type NaturalDataset } from '../dicom';

/** VR of a keyword from dcmjs' dictionary, or null. */
function vrOf(keyword: string): string | null {
  const entry = (dcmjs.data.DicomMetaDictionary.nameMap as Record<string, { vr?: string } | undefined>)[
    keyword
  ];
  return entry?.vr ?? null;
}

/**
 * A DA value in the current form (PS3.5 6.2 DA, YYYYMMDD): the ACR-NEMA form `YYYY.MM.DD` is
 * rewritten without dots (same date); any other value longer than 8 characters, which dcmjs
 * refuses to write, becomes empty.
 */
export function normalizeDa(value: string): string {
  const v = value.trim();
  if (/^\d{4}\.\d{2}\.\d{2}$/.test(v)) return v.replace(/\./g, '');
  return v.length > 8 ? '' : v;
}

/** A TM value in the current form (HHMMSS.FFFFFF): the ACR-NEMA `HH:MM:SS` colons are removed. */
export function normalizeTm(value: string): string {
  const v = value.trim();
  if (/^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) return v.replace(/:/g, '');
  return v.length > 16 ? '' : v;
}

/**
 * Copies a dataset's top-level DA and TM values into the current form, so values copied verbatim
 * from old sources can be written (dcmjs throws on a DA over 8 characters); other values untouched.
 */
export function normalizeDateTimes(ds: NaturalDataset): NaturalDataset {
  const out: NaturalDataset = { ...ds };
  for (const [k, v] of Object.entries(ds)) {
    const vr = vrOf(k);
    if (vr !== 'DA' && vr !== 'TM') continue;
    const fix = vr === 'DA' ? normalizeDa : normalizeTm;
    if (typeof v === 'string') out[k] = fix(v);
    else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? fix(x) : x));
  }
  return out;
}
