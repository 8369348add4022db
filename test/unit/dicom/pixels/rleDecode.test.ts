import { NodeError } from '../../../../src/pipeline/errors';
import { rleDecode } from '../../../../src/dicom/pixels';

/** PackBits (PS3.5 G.3.1): replicate runs for 3+ equal bytes, literal runs otherwise. */
function packBits(bytes: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128) {
      if (i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2]) break;
      i++;
    }
    out.push(i - start - 1, ...bytes.slice(start, i));
  }
  return out;
}

/** An RLE frame (PS3.5 G.4/G.5): 64-byte header of segment count and offsets, then the segments. */
function rleFrame(segments: number[][], padWithNoOp = false): Uint8Array {
  const encoded = segments.map((s) => {
    const e = packBits(s);
    return padWithNoOp ? [128, ...e] : e;
  });
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, segments.length, true);
  let offset = 64;
  encoded.forEach((e, i) => {
    dv.setUint32(4 + 4 * i, offset, true);
    offset += e.length;
  });
  const out = new Uint8Array(offset);
  out.set(header);
  let at = 64;
  for (const e of encoded) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

describe('rleDecode (PS3.5 Annex G)', () => {
  it('decodes 8-bit literal and replicate runs', () => {
    const pixels = [1, 2, 3, 7, 7, 7, 7, 7, 9, 0, 0, 0, ...Array.from({ length: 300 }, (_, i) => i % 256)];
    expect(Array.from(rleDecode(rleFrame([pixels]), pixels.length, 1, 1))).toEqual(pixels);
  });

  it('puts the most significant byte segment first and writes little-endian samples', () => {
    const values = [0x0102, 0xfffe, 0x0000, 0x1234, 0x1234, 0x1234];
    const high = values.map((v) => v >> 8);
    const low = values.map((v) => v & 0xff);
    const bytes = rleDecode(rleFrame([high, low]), values.length, 1, 2);
    expect(Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, values.length))).toEqual(values);
  });

  it('interleaves the sample planes of colour data and skips no-op bytes (128)', () => {
    const r = [255, 0, 10, 10];
    const g = [0, 255, 20, 20];
    const b = [0, 0, 30, 30];
    const out = rleDecode(rleFrame([r, g, b], true), 4, 3, 1);
    expect(Array.from(out)).toEqual([255, 0, 0, 0, 255, 0, 10, 20, 30, 10, 20, 30]);
  });

  it('rejects a header whose segment count does not fit the pixel description', () => {
    const frame = rleFrame([[1, 2, 3]]);
    expect(() => rleDecode(frame, 3, 1, 2)).toThrow(NodeError);
    expect(() => rleDecode(frame, 3, 1, 2)).toThrow(/segments/);
  });

  it('rejects a segment that decodes to too few bytes', () => {
    expect(() => rleDecode(rleFrame([[1, 2, 3]]), 10, 1, 1)).toThrow(/decodes to 3 of 10/);
  });
});
