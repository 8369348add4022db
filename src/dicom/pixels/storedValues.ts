import type { PixelArray, PixelDescription } from './decodedImage';

function aligned(bytes: Uint8Array, unit: number): Uint8Array {
  return bytes.byteOffset % unit === 0 ? bytes : bytes.slice();
}

/**
 * Reinterprets little-endian sample bytes as the typed array that Bits Allocated and Pixel
 * Representation call for (PS3.5 8.1.1): 8 → Uint8, 16 → Uint16/Int16, 32 → Uint32/Int32,
 * float → Float32. `bytesPerSample` is what the source delivered; narrower samples are widened.
 */
export function toStoredArray(
  bytes: Uint8Array,
  count: number,
  bytesPerSample: number,
  d: PixelDescription,
  float = false,
): PixelArray {
  if (float) {
    if (bytesPerSample === 8) {
      const f64 = new Float64Array(aligned(bytes, 8).buffer, aligned(bytes, 8).byteOffset, count);
      return Float32Array.from(f64);
    }
    const b = aligned(bytes, 4);
    return new Float32Array(b.buffer, b.byteOffset, count).slice();
  }
  const signed = d.pixelRepresentation === 1;
  const containerBytes = d.bitsAllocated <= 8 ? 1 : d.bitsAllocated <= 16 ? 2 : 4;
  let source: PixelArray;
  if (bytesPerSample === 1) source = bytes.subarray(0, count);
  else if (bytesPerSample === 2) {
    const b = aligned(bytes, 2);
    source = signed
      ? new Int16Array(b.buffer, b.byteOffset, count)
      : new Uint16Array(b.buffer, b.byteOffset, count);
  } else {
    const b = aligned(bytes, 4);
    source = signed
      ? new Int32Array(b.buffer, b.byteOffset, count)
      : new Uint32Array(b.buffer, b.byteOffset, count);
  }
  if (containerBytes === 1)
    return bytesPerSample === 1 ? (source as Uint8Array).slice() : Uint8Array.from(source);
  if (containerBytes === 2) {
    if (bytesPerSample === 2) return source.slice();
    return signed ? Int16Array.from(source) : Uint16Array.from(source);
  }
  if (bytesPerSample === 4) return source.slice();
  return signed ? Int32Array.from(source) : Uint32Array.from(source);
}

/**
 * Keeps only the Bits Stored bits of each value (PS3.5 8.1.1, High Bit = Bits Stored - 1):
 * unsigned values are masked, signed values sign-extended from bit High Bit.
 */
export function normaliseStoredBits(data: PixelArray, d: PixelDescription): void {
  if (data instanceof Float32Array || d.bitsAllocated === 1) return;
  const bits = d.bitsAllocated <= 8 ? 8 : d.bitsAllocated <= 16 ? 16 : 32;
  if (d.bitsStored >= bits || d.highBit !== d.bitsStored - 1) return;
  const n = data.length;
  if (d.pixelRepresentation === 1 && !(data instanceof Uint8Array)) {
    const shift = 32 - d.bitsStored;
    for (let i = 0; i < n; i++) data[i] = (data[i]! << shift) >> shift;
  } else {
    const mask = 2 ** d.bitsStored - 1;
    for (let i = 0; i < n; i++) data[i] = data[i]! & mask;
  }
}

/** Unpacks 1-bit data (PS3.5 8.1.1: first pixel in the least significant bit) to one byte per pixel. */
export function unpackBits(packed: Uint8Array, bitOffset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0, b = bitOffset; i < count; i++, b++) out[i] = (packed[b >> 3]! >> (b & 7)) & 1;
  return out;
}

/** Swaps bytes of each `unit`-byte word in place (Explicit VR Big Endian, PS3.5 A.3). */
export function swapBytes(bytes: Uint8Array, unit: 2 | 4 | 8): void {
  for (let i = 0; i + unit <= bytes.length; i += unit) {
    for (let a = i, b = i + unit - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Unpacks ACR-NEMA style 12-bit packing (Bits Allocated 12, two values in three bytes, a retired
 * layout still sent by old MR scanners): v0 = b0 | (b1 & 0x0F) << 8, v1 = b1 >> 4 | b2 << 4.
 */
export function unpack12(packed: Uint8Array, count: number): Uint16Array {
  const out = new Uint16Array(count);
  for (let i = 0, p = 0; i < count; i += 2, p += 3) {
    const b0 = packed[p]!;
    const b1 = packed[p + 1]!;
    out[i] = b0 | ((b1 & 0x0f) << 8);
    if (i + 1 < count) out[i + 1] = (b1 >> 4) | (packed[p + 2]! << 4);
  }
  return out;
}
