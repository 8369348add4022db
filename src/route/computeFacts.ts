import { items, num, nums, str, type NaturalDataset } from '../dicom';
import type { SeriesFacts, SeriesRoutingInput } from './ruleTypes';

const DAYS_PER_YEAR = 365.25;
const DAYS_PER_MONTH = DAYS_PER_YEAR / 12;
const MS_PER_DAY = 86_400_000;
/** |normal component| at or above this names the plane (within about 26 degrees of it). */
const PLANE_COSINE = 0.9;

/**
 * Computes the facts of a series once, before its rules are evaluated (docs/rules.md "Facts").
 * Attributes come from the first header; counts and geometry from all of them. A fact that
 * cannot be computed is null, and every condition on it is false (except `exists: false`).
 */
export function computeFacts(input: SeriesRoutingInput): SeriesFacts {
  const first: NaturalDataset = input.headers[0] ?? {};
  const age = patientAge(first);
  return {
    patientAgeYears: age ? age.years : null,
    patientAgeDays: age ? age.days : null,
    instanceCount: input.headers.length,
    frameCount: input.headers.reduce((n, h) => n + frameCountOf(h), 0),
    sliceSpacingMm: sliceSpacing(input.headers),
    sliceThicknessMm: sliceThickness(first),
    pixelSpacingMm: pixelSpacing(first),
    orientation: orientationName(imageOrientation(first)),
    callingAeTitle: input.peer.callingAeTitle.trim() || null,
    calledAeTitle: input.peer.calledAeTitle.trim() || null,
    peerAddress: input.peer.peerAddress.trim() || null,
  };
}

/** Number of Frames (0028,0008), 1 when absent (PS3.3 C.7.6.6). */
function frameCountOf(h: NaturalDataset): number {
  const n = num(h, 'NumberOfFrames');
  return n !== null && n >= 1 ? Math.floor(n) : 1;
}

/**
 * Patient age in completed years and in days: from Patient's Age (0010,1010), an AS value
 * `nnnD|W|M|Y` (PS3.5 6.2), else from Patient's Birth Date and the Study Date (or Series Date).
 * Months count 365.25/12 days and years 365.25 days; days are rounded down.
 */
export function patientAge(ds: NaturalDataset): { years: number; days: number } | null {
  const fromAs = parseAgeString(str(ds, 'PatientAge'));
  if (fromAs) return fromAs;
  const birth = parseDate(str(ds, 'PatientBirthDate'));
  const ref = parseDate(str(ds, 'StudyDate')) ?? parseDate(str(ds, 'SeriesDate'));
  if (!birth || !ref) return null;
  const days = Math.floor(
    (Date.UTC(ref.y, ref.m - 1, ref.d) - Date.UTC(birth.y, birth.m - 1, birth.d)) / MS_PER_DAY,
  );
  if (days < 0) return null;
  let years = ref.y - birth.y;
  if (ref.m < birth.m || (ref.m === birth.m && ref.d < birth.d)) years -= 1;
  return { years, days };
}

/**
 * Parses an Age String (PS3.5 6.2 AS), tolerating missing leading zeros, padding, and a bare
 * number without its unit (seen in real files), which is read as years.
 */
export function parseAgeString(s: string | null): { years: number; days: number } | null {
  if (!s) return null;
  const m = /^(\d{1,3})\s*([DWMY])?$/i.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]);
  switch ((m[2] ?? 'Y').toUpperCase()) {
    case 'D':
      return { days: n, years: Math.floor(n / DAYS_PER_YEAR) };
    case 'W':
      return { days: n * 7, years: Math.floor((n * 7) / DAYS_PER_YEAR) };
    case 'M':
      return { days: Math.floor(n * DAYS_PER_MONTH), years: Math.floor(n / 12) };
    default:
      return { days: Math.floor(n * DAYS_PER_YEAR), years: n };
  }
}

/** A DA value `YYYYMMDD` (PS3.5 6.2), or the ACR-NEMA `YYYY.MM.DD` form read tolerantly. */
function parseDate(s: string | null): { y: number; m: number; d: number } | null {
  if (!s) return null;
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return { y, m: mo, d };
}

/** The first item of a functional group macro inside Shared Functional Groups (PS3.3 C.7.6.16). */
function sharedGroup(ds: NaturalDataset, macro: string): NaturalDataset | null {
  const shared = items(ds, 'SharedFunctionalGroupsSequence')[0];
  const fromShared = shared ? items(shared, macro)[0] : undefined;
  if (fromShared) return fromShared;
  const perFrame = items(ds, 'PerFrameFunctionalGroupsSequence')[0];
  return (perFrame ? items(perFrame, macro)[0] : undefined) ?? null;
}

/** Image Orientation (Patient) (PS3.3 C.7.6.2), or the Plane Orientation functional group. */
function imageOrientation(ds: NaturalDataset): number[] | null {
  let iop = nums(ds, 'ImageOrientationPatient');
  if (iop.length !== 6) {
    const g = sharedGroup(ds, 'PlaneOrientationSequence');
    iop = g ? nums(g, 'ImageOrientationPatient') : [];
  }
  return iop.length === 6 ? iop : null;
}

function sliceNormal(iop: number[]): [number, number, number] {
  const [rx, ry, rz, cx, cy, cz] = iop as [number, number, number, number, number, number];
  return [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
}

/**
 * AXIAL, CORONAL or SAGITTAL when the slice normal (row x column cosines, PS3.3 C.7.6.2.1.1)
 * lies within about 26 degrees of the patient's z, y or x axis; OBLIQUE otherwise.
 */
export function orientationName(iop: number[] | null): string | null {
  if (!iop) return null;
  const n = sliceNormal(iop).map(Math.abs) as [number, number, number];
  const len = Math.hypot(...n);
  if (!(len > 0)) return null;
  const [x, y, z] = n.map((c) => c / len) as [number, number, number];
  if (z >= PLANE_COSINE) return 'AXIAL';
  if (y >= PLANE_COSINE) return 'CORONAL';
  if (x >= PLANE_COSINE) return 'SAGITTAL';
  return 'OBLIQUE';
}

/** Image Position (Patient) of every frame: per-frame Plane Position groups, else the attribute. */
function positions(h: NaturalDataset): number[][] {
  const perFrame = items(h, 'PerFrameFunctionalGroupsSequence');
  if (perFrame.length > 0) {
    const out: number[][] = [];
    for (const f of perFrame) {
      const pp = items(f, 'PlanePositionSequence')[0];
      const p = pp ? nums(pp, 'ImagePositionPatient') : [];
      if (p.length === 3) out.push(p);
    }
    return out;
  }
  const p = nums(h, 'ImagePositionPatient');
  return p.length === 3 ? [p] : [];
}

/**
 * Slice spacing: the median distance between neighbouring slices, measured along the slice
 * normal on the sorted positions; duplicate positions are ignored; rounded to 0.1 micrometre.
 */
function sliceSpacing(headers: NaturalDataset[]): number | null {
  const iop = headers.length > 0 ? imageOrientation(headers[0]!) : null;
  if (!iop) return null;
  const n = sliceNormal(iop);
  const d: number[] = [];
  for (const h of headers) for (const p of positions(h)) d.push(p[0]! * n[0] + p[1]! * n[1] + p[2]! * n[2]);
  if (d.length < 2) return null;
  d.sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < d.length; i++) {
    const g = d[i]! - d[i - 1]!;
    if (g > 1e-4) gaps.push(g);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return round4(median);
}

/** Slice Thickness (0018,0050), or the Pixel Measures functional group. */
function sliceThickness(ds: NaturalDataset): number | null {
  const t = num(ds, 'SliceThickness');
  if (t !== null) return t;
  const g = sharedGroup(ds, 'PixelMeasuresSequence');
  return g ? num(g, 'SliceThickness') : null;
}

/**
 * The larger of the row and column spacing: Pixel Spacing (0028,0030), else Imager Pixel
 * Spacing (0018,1164) for projection radiography, else the Pixel Measures functional group.
 */
function pixelSpacing(ds: NaturalDataset): number | null {
  let ps = nums(ds, 'PixelSpacing');
  if (ps.length === 0) ps = nums(ds, 'ImagerPixelSpacing');
  if (ps.length === 0) {
    const g = sharedGroup(ds, 'PixelMeasuresSequence');
    ps = g ? nums(g, 'PixelSpacing') : [];
  }
  const valid = ps.filter((v) => v > 0);
  return valid.length > 0 ? Math.max(...valid) : null;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
