import { nums, str } from '../dicom';
import type { SourceInstance } from './sourceInstances';

/** PS3.3 C.7.6.1.1.1: the letter of a direction cosine vector's dominant axis (L/R, P/A, H/F). */
function letter(v: readonly number[]): string {
  const [x, y, z] = v as [number, number, number];
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const az = Math.abs(z);
  if (ax >= ay && ax >= az) return x > 0 ? 'L' : 'R';
  if (ay >= az) return y > 0 ? 'P' : 'A';
  return z > 0 ? 'H' : 'F';
}

/**
 * Patient Orientation (0020,0020) for a rendering of a source frame: the source's own value when
 * it has one, else derived from ImageOrientationPatient, else empty (Type 2C in SC).
 */
export function patientOrientationOf(source: SourceInstance): string[] | string {
  const own = (Array.isArray(source.dataset.PatientOrientation) ? source.dataset.PatientOrientation : [])
    .map((v) => String(v).trim())
    .filter((v) => v.length > 0);
  if (own.length === 2) return own;
  const iop = nums(source.dataset, 'ImageOrientationPatient');
  if (iop.length === 6) return [letter(iop.slice(0, 3)), letter(iop.slice(3, 6))];
  return str(source.dataset, 'PatientOrientation') ?? '';
}
