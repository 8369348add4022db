import type { NaturalDataset } from '../dcmjs';
import { nums } from '../datasetValues';
import { isArrayBuffer } from './isArrayBuffer';

/** A LUT Descriptor (PS3.3 C.11.1.1.1): entries (0 means 65536), first value mapped, bits per entry. */
export interface LutDescriptor {
  entries: number;
  firstMapped: number;
  bits: number;
}

/** Reads a LUT descriptor, tolerating the US/SS ambiguity of its first two values. */
export function lutDescriptor(ds: NaturalDataset, keyword: string): LutDescriptor | null {
  const v = nums(ds, keyword);
  if (v.length < 3) return null;
  const entries = v[0]! <= 0 ? v[0]! + 65536 : v[0]!;
  return { entries, firstMapped: v[1]!, bits: v[2]! };
}

function bytesOf(ds: NaturalDataset, keyword: string): Uint8Array | null {
  const v = ds[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  if (isArrayBuffer(first)) return new Uint8Array(first);
  if (ArrayBuffer.isView(first)) return new Uint8Array(first.buffer, first.byteOffset, first.byteLength);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return null;
  return null;
}

/**
 * The entries of LUT data (OW, or US/SS values): 16-bit words, except that 8-bit entries packed
 * two per word (entries bytes long) are read one per byte.
 */
export function lutWords(ds: NaturalDataset, keyword: string, desc: LutDescriptor | null): number[] {
  const bytes = bytesOf(ds, keyword);
  if (!bytes) return nums(ds, keyword);
  if (desc && desc.bits <= 8 && bytes.length === desc.entries) return Array.from(bytes);
  const out: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) out.push(bytes[i]! | (bytes[i + 1]! << 8));
  return out;
}
