import { NodeError } from '../../pipeline/errors';
import type { Direction } from './volume';

/** Each letter names where +axis points, in LPS (PS3.3 C.7.6.2.1.1: +x left, +y posterior, +z superior). */
const LETTER: Record<string, [number, number, number]> = {
  L: [1, 0, 0],
  R: [-1, 0, 0],
  P: [0, 1, 0],
  A: [0, -1, 0],
  S: [0, 0, 1],
  I: [0, 0, -1],
};

/**
 * The direction matrix of a three-letter orientation code, each letter saying where the +i, +j, +k
 * axis points ('LIA' = FreeSurfer conformed: +i Left, +j Inferior, +k Anterior; 'LPS' = identity).
 */
export function orientationAxes(code: string): Direction {
  const c = code.trim().toUpperCase();
  const axes = [...c].map((l) => LETTER[l]);
  if (c.length !== 3 || axes.some((a) => !a)) {
    throw new NodeError('BAD_REQUEST', `orientation code "${code}" must be three letters from L R P A S I`);
  }
  const used = new Set(axes.map((a) => a!.findIndex((x) => x !== 0)));
  if (used.size !== 3)
    throw new NodeError('BAD_REQUEST', `orientation code "${code}" names one body axis twice`);
  return axes.map((a) => [...a!]) as Direction;
}
