import type { PixelArray } from './decodedImage';

/** Planar configuration 1 (R plane, G plane, B plane) to interleaved (PS3.3 C.7.6.3.1.3). */
export function planarToInterleaved<T extends PixelArray>(planar: T, pixels: number, samples: number): T {
  const out = new (planar.constructor as new (n: number) => T)(pixels * samples);
  for (let s = 0; s < samples; s++) {
    const base = s * pixels;
    for (let p = 0, o = s; p < pixels; p++, o += samples) out[o] = planar[base + p]!;
  }
  return out;
}

/**
 * YBR_FULL_422 / YBR_PARTIAL_422 native data (Y1 Y2 Cb Cr per pixel pair, PS3.3 C.7.6.3.1.2)
 * to three interleaved samples per pixel, chroma repeated over both pixels of the pair.
 */
export function upsample422<T extends PixelArray>(packed: T, rows: number, columns: number): T {
  const out = new (packed.constructor as new (n: number) => T)(rows * columns * 3);
  let i = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c += 2) {
      const y1 = packed[i]!;
      const y2 = packed[i + 1]!;
      const cb = packed[i + 2]!;
      const cr = packed[i + 3]!;
      i += 4;
      const o = (r * columns + c) * 3;
      out[o] = y1;
      out[o + 1] = cb;
      out[o + 2] = cr;
      if (c + 1 < columns) {
        out[o + 3] = y2;
        out[o + 4] = cb;
        out[o + 5] = cr;
      }
    }
  }
  return out;
}

/**
 * YBR_FULL to RGB in place (PS3.3 C.7.6.3.1.2, the inverse of the CCIR 601-2 full-range
 * transform): R = Y + 1.402 (Cr - h), G = Y - 0.344136 (Cb - h) - 0.714136 (Cr - h),
 * B = Y + 1.772 (Cb - h), with h = 2^(bits-1); results rounded and clamped to [0, 2^bits - 1].
 * YBR_PARTIAL first maps Y from [16, 235] and Cb/Cr from [16, 240] (8-bit ranges, scaled).
 */
export function ybrToRgb(data: PixelArray, bits: number, partial = false): void {
  const max = 2 ** bits - 1;
  const half = 2 ** (bits - 1);
  const scale = 2 ** (bits - 8);
  for (let o = 0; o + 2 < data.length; o += 3) {
    let y = data[o]!;
    let cb = data[o + 1]! - half;
    let cr = data[o + 2]! - half;
    if (partial) {
      y = ((y - 16 * scale) * 255) / 219;
      cb = (cb * 255) / 224;
      cr = (cr * 255) / 224;
    }
    const r = y + 1.402 * cr;
    const g = y - 0.344136 * cb - 0.714136 * cr;
    const b = y + 1.772 * cb;
    data[o] = r < 0 ? 0 : r > max ? max : (r + 0.5) | 0;
    data[o + 1] = g < 0 ? 0 : g > max ? max : (g + 0.5) | 0;
    data[o + 2] = b < 0 ? 0 : b > max ? max : (b + 0.5) | 0;
  }
}
