import { orientationAxes } from './orientationAxes';
import type { Volume, VolumeGrid } from './volume';

/** The LPS centre of a grid: the midpoint between its first and last voxel centres. */
export function gridCentre(g: VolumeGrid): [number, number, number] {
  const c: [number, number, number] = [...g.origin];
  for (let a = 0; a < 3; a++) {
    const half = ((g.dims[a]! - 1) * g.spacing[a]!) / 2;
    for (let x = 0; x < 3; x++) c[x] += g.direction[a]![x]! * half;
  }
  return c;
}

/**
 * A target grid of the given dims, isotropic spacing and orientation code whose centre (the
 * midpoint of its first and last voxel centres) coincides with the centre of `src`, e.g. 256³,
 * 1 mm, 'LIA' for a FreeSurfer-conformed volume.
 */
export function conformedGrid(
  src: VolumeGrid | Volume,
  dims: [number, number, number],
  spacingMm: number,
  orientation: string,
): Omit<Volume, 'data'> {
  const direction = orientationAxes(orientation);
  const spacing: [number, number, number] = [spacingMm, spacingMm, spacingMm];
  const centre = gridCentre(src);
  const origin: [number, number, number] = [...centre];
  for (let a = 0; a < 3; a++) {
    const half = ((dims[a]! - 1) * spacingMm) / 2;
    for (let x = 0; x < 3; x++) origin[x] -= direction[a]![x]! * half;
  }
  return { dims: [...dims], spacing, origin, direction };
}
