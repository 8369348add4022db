/**
 * Packs binary frames for a 1-bit SEG (PS3.5 8.1.1; PS3.3 C.8.20.2.1): pixels back-to-back
 * across frames with no per-frame padding, least significant bit first, the total padded to an
 * even number of bytes. `frames` are masks (non-zero = set) of `pixelsPerFrame` values each.
 */
export function packBits(frames: ReadonlyArray<(i: number) => boolean>, pixelsPerFrame: number): Uint8Array {
  const totalBits = frames.length * pixelsPerFrame;
  let bytes = Math.ceil(totalBits / 8);
  if (bytes % 2 === 1) bytes += 1;
  const out = new Uint8Array(bytes);
  let bit = 0;
  for (const isSet of frames) {
    for (let i = 0; i < pixelsPerFrame; i++, bit++) {
      if (isSet(i)) out[bit >> 3]! |= 1 << (bit & 7);
    }
  }
  return out;
}
