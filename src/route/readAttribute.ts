import type { NaturalDataset } from '../dicom';
import type { Scalar } from './ruleTypes';

/**
 * Reads the values of an attribute, or of an attribute inside sequences, from a naturalized
 * dataset. `path` is a list of DICOM keywords (PS3.6 6): every keyword but the last names a
 * sequence (VR SQ), and values are gathered from all of its items ("any item matches").
 *
 * Values are trimmed of DICOM padding (PS3.5 6.2: trailing spaces, NUL for UI); numbers stay
 * numbers; a Person Name gives its Alphabetic group (PS3.5 6.2.1). Empty values are dropped, so
 * an attribute that is absent or has no non-empty value gives an empty list (missing).
 */
export function readAttribute(ds: NaturalDataset, path: readonly string[]): Scalar[] {
  const out: Scalar[] = [];
  collect(ds, path, 0, out);
  return out;
}

function collect(ds: NaturalDataset, path: readonly string[], at: number, out: Scalar[]): void {
  const v = ds[path[at]!];
  if (v === undefined || v === null) return;
  const list = Array.isArray(v) ? v : [v];
  if (at < path.length - 1) {
    for (const item of list) {
      if (item && typeof item === 'object' && !Array.isArray(item))
        collect(item as NaturalDataset, path, at + 1, out);
    }
    return;
  }
  for (const x of list) pushScalar(x, out);
}

function pushScalar(x: unknown, out: Scalar[]): void {
  if (typeof x === 'number') {
    if (Number.isFinite(x)) out.push(x);
  } else if (typeof x === 'string') {
    const s = trimPadding(x);
    if (s.length > 0) out.push(s);
  } else if (x && typeof x === 'object' && 'Alphabetic' in x) {
    const a = (x as { Alphabetic?: unknown }).Alphabetic;
    if (typeof a === 'string') {
      const s = trimPadding(a);
      if (s.length > 0) out.push(s);
    }
  }
}

/** Removes NUL and leading/trailing spaces (PS3.5 6.2 value padding). */
export function trimPadding(s: string): string {
  return s.replace(/\0/g, '').trim();
}

/** The number of items of a sequence (PS3.5 7.5), reached through `path`; 0 when absent. */
export function countItems(ds: NaturalDataset, path: readonly string[]): number {
  let level: NaturalDataset[] = [ds];
  for (const keyword of path) {
    const next: NaturalDataset[] = [];
    for (const d of level) {
      const v = d[keyword];
      const list = Array.isArray(v) ? v : v ? [v] : [];
      for (const item of list)
        if (item && typeof item === 'object' && !Array.isArray(item)) next.push(item as NaturalDataset);
    }
    level = next;
  }
  return level.length;
}
