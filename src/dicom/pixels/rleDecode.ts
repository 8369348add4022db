import { NodeError } from '../../pipeline/errors';

/**
 * Decodes one RLE Lossless frame (PS3.5 Annex G) to interleaved little-endian samples: segment
 * s = sample * bytesPerSample + b holds byte b (most significant first) of every sample value
 * (G.2); each segment is PackBits-coded (G.3.1).
 */
export function rleDecode(
  frame: Uint8Array,
  pixels: number,
  samplesPerPixel: number,
  bytesPerSample: number,
): Uint8Array {
  if (frame.length < 64)
    throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: RLE frame shorter than its 64-byte header');
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = dv.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected || segments > 15) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: RLE header names ${segments} segments, expected ${expected} (PS3.5 G.5)`,
    );
  }
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(dv.getUint32(4 + 4 * s, true));
  const stride = expected;
  const out = new Uint8Array(pixels * stride);
  for (let s = 0; s < segments; s++) {
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // little-endian destination
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : frame.length;
    if (start < 64 || start > frame.length || end < start) {
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: RLE segment ${s} offset ${start} outside the frame`,
      );
    }
    let o = sample * bytesPerSample + byteInSample;
    let n = 0;
    let p = start;
    while (p < end && n < pixels) {
      const h = frame[p++]!;
      if (h < 128) {
        // literal run of h + 1 bytes
        const count = Math.min(h + 1, pixels - n, end - p);
        for (let c = 0; c < count; c++, o += stride) out[o] = frame[p + c]!;
        p += h + 1;
        n += count;
      } else if (h > 128) {
        // replicate the next byte 257 - h times
        const value = frame[p++]!;
        const count = Math.min(257 - h, pixels - n);
        for (let c = 0; c < count; c++, o += stride) out[o] = value;
        n += count;
      }
      // h === 128: no operation (G.3.1)
    }
    if (n < pixels)
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: RLE segment ${s} decodes to ${n} of ${pixels} bytes`,
      );
  }
  return out;
}
