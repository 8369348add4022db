import { NodeError } from '../../pipeline/errors';
import type { NaturalDataset } from '../dcmjs';
import { nums } from '../datasetValues';
import { isArrayBuffer } from './isArrayBuffer';

function concat(parts: ArrayBuffer[]): Uint8Array {
  if (parts.length === 1) return new Uint8Array(parts[0]!);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/** True when a fragment starts a compressed frame: JPEG SOI (PS3.5 A.4.1), J2K SOC+SIZ or a JP2 signature box. */
function startsFrame(b: ArrayBuffer): boolean {
  const u = new Uint8Array(b, 0, Math.min(b.byteLength, 12));
  if (u.length < 4) return false;
  if (u[0] === 0xff && u[1] === 0xd8) return true;
  if (u[0] === 0xff && u[1] === 0x4f && u[2] === 0xff && u[3] === 0x51) return true;
  return u.length >= 8 && u[4] === 0x6a && u[5] === 0x50 && u[6] === 0x20 && u[7] === 0x20;
}

/**
 * Groups encapsulated fragments into frames (PS3.5 A.4): dcmjs already groups them by the Basic
 * Offset Table when there is one; otherwise the Extended Offset Table (7FE0,0001) is used, then one
 * frame per fragment when the counts agree, all fragments for a single frame, and finally the
 * start-of-codestream markers of the fragments.
 */
export function encapsulatedFrames(
  values: ArrayBuffer[],
  numberOfFrames: number,
  header: NaturalDataset,
): Uint8Array[] {
  if (values.length === 0)
    throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: encapsulated Pixel Data has no fragments');
  if (numberOfFrames === 1) return [concat(values)];
  if (values.length === numberOfFrames) return values.map((v) => new Uint8Array(v));
  const eot = extendedOffsets(header);
  if (eot.length === numberOfFrames) {
    const frames: ArrayBuffer[][] = eot.map(() => []);
    let position = 0;
    for (const v of values) {
      let f = eot.length - 1;
      while (f > 0 && eot[f]! > position) f--;
      frames[f]!.push(v);
      position += 8 + v.byteLength;
    }
    if (frames.every((f) => f.length > 0)) return frames.map(concat);
  }
  const groups: ArrayBuffer[][] = [];
  for (const v of values) {
    if (groups.length === 0 || startsFrame(v)) groups.push([v]);
    else groups[groups.length - 1]!.push(v);
  }
  if (groups.length === numberOfFrames) return groups.map(concat);
  throw new NodeError(
    'DECODE_FAILED',
    `DECODE_FAILED: cannot split ${values.length} fragments into ${numberOfFrames} frames (no offset table, ${groups.length} codestream starts)`,
  );
}

/** Extended Offset Table (7FE0,0001), PS3.3 C.7.6.3.1.8: 64-bit offsets, read as numbers. */
function extendedOffsets(header: NaturalDataset): number[] {
  const v = header['ExtendedOffsetTable'];
  if (isArrayBuffer(v)) {
    const dv = new DataView(v);
    const out: number[] = [];
    for (let i = 0; i + 8 <= v.byteLength; i += 8) out.push(Number(dv.getBigUint64(i, true)));
    return out;
  }
  if (Array.isArray(v) && isArrayBuffer(v[0])) return extendedOffsets({ ExtendedOffsetTable: v[0] });
  return nums(header, 'ExtendedOffsetTable');
}
