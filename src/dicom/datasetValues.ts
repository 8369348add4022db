import type { NaturalDataset } from './dcmjs';

/** Tolerant accessors over a naturalized dataset: missing or odd values give null, never throw. */

/** The first value of an attribute as trimmed text (DICOM padding removed), or null. */
export function str(ds: NaturalDataset, keyword: string): string | null {
  const v = ds[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return null;
  if (typeof first === 'object') {
    const alpha = (first as { Alphabetic?: unknown }).Alphabetic;
    return alpha === undefined ? null : String(alpha).trim() || null;
  }
  const s = String(first).replace(/\0/g, '').trim();
  return s.length > 0 ? s : null;
}

/** All values of a multi-valued attribute as trimmed text. */
export function strs(ds: NaturalDataset, keyword: string): string[] {
  const v = ds[keyword];
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr
    .filter((x) => x !== undefined && x !== null && typeof x !== 'object')
    .map((x) => String(x).replace(/\0/g, '').trim());
}

/** The first value as a number, or null when absent or not numeric. */
export function num(ds: NaturalDataset, keyword: string): number | null {
  const v = ds[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null || first === '') return null;
  const n = typeof first === 'number' ? first : Number(String(first).trim());
  return Number.isFinite(n) ? n : null;
}

/** All values as numbers (non-numeric values dropped). */
export function nums(ds: NaturalDataset, keyword: string): number[] {
  const v = ds[keyword];
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr
    .map((x) => (typeof x === 'number' ? x : Number(String(x).trim())))
    .filter((n) => Number.isFinite(n));
}

/** The items of a sequence attribute. */
export function items(ds: NaturalDataset, keyword: string): NaturalDataset[] {
  const v = ds[keyword];
  if (!v) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.filter((x): x is NaturalDataset => !!x && typeof x === 'object' && !Array.isArray(x));
}
