import { items, num, nums, str, type NaturalDataset } from '../dicom';
import type { SourceInstance } from './sourceInstances';

/** Where one source frame lies (PS3.3 C.7.6.2 Image Plane; C.7.6.16 functional groups for enhanced objects). */
export interface FrameGeometry {
  frameOfReferenceUid: string | null;
  /** ImagePositionPatient, mm. */
  position: number[] | null;
  /** ImageOrientationPatient (row then column direction cosines). */
  orientation: number[] | null;
  /** PixelSpacing (row spacing, column spacing), mm. */
  pixelSpacing: number[] | null;
  sliceThickness: number | null;
  spacingBetweenSlices: number | null;
}

/** The first item of a sequence inside the per-frame or shared functional groups of an enhanced object. */
function functionalGroup(ds: NaturalDataset, frameIndex: number, keyword: string): NaturalDataset | null {
  const perFrame = items(ds, 'PerFrameFunctionalGroupsSequence')[frameIndex];
  const fromFrame = perFrame ? items(perFrame, keyword)[0] : undefined;
  if (fromFrame) return fromFrame;
  const shared = items(ds, 'SharedFunctionalGroupsSequence')[0];
  return (shared && items(shared, keyword)[0]) ?? null;
}

function orNull(v: number[], length: number): number[] | null {
  return v.length === length ? v : null;
}

/** Geometry of a frame (1-based frame number) of a source instance; null fields when the source has none. */
export function frameGeometry(source: SourceInstance, frameNumber: number): FrameGeometry {
  const ds = source.dataset;
  const i = frameNumber - 1;
  const position = functionalGroup(ds, i, 'PlanePositionSequence');
  const orientation = functionalGroup(ds, i, 'PlaneOrientationSequence');
  const measures = functionalGroup(ds, i, 'PixelMeasuresSequence');
  return {
    frameOfReferenceUid: str(ds, 'FrameOfReferenceUID'),
    position: orNull(nums(position ?? ds, 'ImagePositionPatient'), 3),
    orientation: orNull(nums(orientation ?? ds, 'ImageOrientationPatient'), 6),
    pixelSpacing: orNull(nums(measures ?? ds, 'PixelSpacing'), 2),
    sliceThickness: num(measures ?? ds, 'SliceThickness') ?? num(ds, 'SliceThickness'),
    spacingBetweenSlices: num(measures ?? ds, 'SpacingBetweenSlices') ?? num(ds, 'SpacingBetweenSlices'),
  };
}

/** Distance of a position along the normal of an orientation (for ordering slices). */
export function distanceAlongNormal(position: readonly number[], orientation: readonly number[]): number {
  const [r0, r1, r2, c0, c1, c2] = orientation as [number, number, number, number, number, number];
  const n = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0] as const;
  return position[0]! * n[0] + position[1]! * n[1] + position[2]! * n[2];
}

/** True when two number lists are equal within a tolerance. */
export function sameNumbers(a: readonly number[] | null, b: readonly number[] | null, tol = 1e-4): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, k) => Math.abs(v - b[k]!) <= tol);
}
