import { deflateRawSync } from 'node:zlib';
import { NodeError } from '../../../../src/pipeline/errors';
import { decodePart10 } from '../../../../src/dicom/pixels';
import { flatBlocksJpeg } from './syntheticJpeg';
import { bytesOf, syntheticPart10 } from './syntheticPart10';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

const mono = (
  rows: number,
  columns: number,
  bits: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  Rows: rows,
  Columns: columns,
  SamplesPerPixel: 1,
  BitsAllocated: bits,
  BitsStored: bits,
  HighBit: bits - 1,
  PixelRepresentation: 0,
  PhotometricInterpretation: 'MONOCHROME2',
  ...extra,
});

describe('decodePart10 on synthetic native images', () => {
  it('returns signed 16-bit values as Int16Array, sign-extended from Bits Stored (PS3.5 8.1.1)', async () => {
    // 12 bits stored: 0x0FFF is -1, 0x0800 is -2048; bits above High Bit are not part of the value
    const stored = new Uint16Array([0x0fff, 0x0800, 0x07ff, 0xf001, 0x0000, 0x0005]);
    const buf = syntheticPart10(
      mono(2, 3, 16, { BitsStored: 12, HighBit: 11, PixelRepresentation: 1 }),
      EXPLICIT_LE,
      {
        values: [bytesOf(stored)],
        vr: 'OW',
      },
    );
    const img = await decodePart10(buf);
    expect(img.frames[0]).toBeInstanceOf(Int16Array);
    expect(Array.from(img.frames[0]!)).toEqual([-1, -2048, 2047, 1, 0, 5]);
    expect(img.pixelRepresentation).toBe(1);
  });

  it('masks unsigned values to Bits Stored', async () => {
    const stored = new Uint16Array([0xf123, 0x0fff]);
    const img = await decodePart10(
      syntheticPart10(mono(1, 2, 16, { BitsStored: 12, HighBit: 11 }), IMPLICIT_LE, {
        values: [bytesOf(stored)],
        vr: 'OW',
      }),
    );
    expect(img.frames[0]).toBeInstanceOf(Uint16Array);
    expect(Array.from(img.frames[0]!)).toEqual([0x123, 0xfff]);
  });

  it('splits native multi-frame data into frames', async () => {
    const px = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 3);
    const img = await decodePart10(
      syntheticPart10(mono(2, 3, 8, { NumberOfFrames: 4 }), EXPLICIT_LE, { values: [bytesOf(px)], vr: 'OB' }),
    );
    expect(img.numberOfFrames).toBe(4);
    expect(img.frames.map((f) => Array.from(f))).toEqual(
      [0, 1, 2, 3].map((f) => Array.from(px.slice(f * 6, f * 6 + 6))),
    );
  });

  it('interleaves planar RGB (Planar Configuration 1)', async () => {
    const planar = new Uint8Array([1, 2, 3, 4, 10, 20, 30, 40, 100, 110, 120, 130]);
    const img = await decodePart10(
      syntheticPart10(
        { ...mono(2, 2, 8), SamplesPerPixel: 3, PlanarConfiguration: 1, PhotometricInterpretation: 'RGB' },
        EXPLICIT_LE,
        { values: [bytesOf(planar)], vr: 'OB' },
      ),
    );
    expect(Array.from(img.frames[0]!)).toEqual([1, 10, 100, 2, 20, 110, 3, 30, 120, 4, 40, 130]);
    expect(img.photometricInterpretation).toBe('RGB');
  });

  it('converts YBR_FULL to RGB (PS3.3 C.7.6.3.1.2) and upsamples YBR_FULL_422', async () => {
    // forward transform of three RGB colours with the PS3.3 equations
    const rgb = [
      [255, 0, 0],
      [0, 255, 0],
      [30, 60, 200],
      [128, 128, 128],
    ];
    const ybr = rgb.map(([r, g, b]) => [
      0.299 * r! + 0.587 * g! + 0.114 * b!,
      -0.1687 * r! - 0.3313 * g! + 0.5 * b! + 128,
      0.5 * r! - 0.4187 * g! - 0.0813 * b! + 128,
    ]);
    const full = Uint8Array.from(ybr.flat().map((v) => Math.min(255, Math.round(v))));
    const img = await decodePart10(
      syntheticPart10(
        { ...mono(2, 2, 8), SamplesPerPixel: 3, PhotometricInterpretation: 'YBR_FULL' },
        EXPLICIT_LE,
        {
          values: [bytesOf(full)],
          vr: 'OB',
        },
      ),
    );
    expect(img.photometricInterpretation).toBe('RGB');
    expect(img.sourcePhotometricInterpretation).toBe('YBR_FULL');
    const out = Array.from(img.frames[0]!);
    rgb.flat().forEach((v, i) => expect(Math.abs(out[i]! - v)).toBeLessThanOrEqual(2));

    // 4:2:2: Y1 Y2 Cb Cr per pixel pair; grey pairs have Cb = Cr = 128
    const packed = new Uint8Array([10, 200, 128, 128, 50, 60, 128, 128]);
    const img422 = await decodePart10(
      syntheticPart10(
        { ...mono(2, 2, 8), SamplesPerPixel: 3, PhotometricInterpretation: 'YBR_FULL_422' },
        EXPLICIT_LE,
        {
          values: [bytesOf(packed)],
          vr: 'OB',
        },
      ),
    );
    expect(Array.from(img422.frames[0]!)).toEqual([10, 10, 10, 200, 200, 200, 50, 50, 50, 60, 60, 60]);
  });

  it('unpacks 1-bit frames that are not byte aligned (first pixel in the least significant bit)', async () => {
    // 3x3 frames, 2 frames = 18 bits; frame 2 starts at bit 9
    const bits = [1, 0, 0, 1, 1, 0, 0, 0, 1, /* frame 2 */ 0, 1, 1, 1, 0, 0, 1, 0, 1];
    const packed = new Uint8Array(4);
    bits.forEach((b, i) => (packed[i >> 3]! |= b << (i & 7)));
    const img = await decodePart10(
      syntheticPart10(
        {
          ...mono(3, 3, 1),
          BitsStored: 1,
          HighBit: 0,
          NumberOfFrames: 2,
          SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4',
        },
        EXPLICIT_LE,
        { values: [bytesOf(packed)], vr: 'OB' },
      ),
    );
    expect(img.frames.map((f) => Array.from(f))).toEqual([bits.slice(0, 9), bits.slice(9)]);
  });

  it('unpacks ACR-NEMA 12-bit packing (Bits Allocated 12: two values in three bytes)', async () => {
    const values = [0x123, 0xabc, 0xfff, 0x000];
    const packed = new Uint8Array(6);
    for (let i = 0, p = 0; i < values.length; i += 2, p += 3) {
      packed[p] = values[i]! & 0xff;
      packed[p + 1] = (values[i]! >> 8) | ((values[i + 1]! & 0x0f) << 4);
      packed[p + 2] = values[i + 1]! >> 4;
    }
    const img = await decodePart10(
      syntheticPart10(mono(2, 2, 12, { BitsStored: 12, HighBit: 11 }), IMPLICIT_LE, {
        values: [bytesOf(packed)],
        vr: 'OW',
      }),
    );
    expect(img.frames[0]).toBeInstanceOf(Uint16Array);
    expect(Array.from(img.frames[0]!)).toEqual(values);
  });

  it('inflates Deflated Image Frame Compression frames (1.2.840.10008.1.2.8.1)', async () => {
    const f1 = new Uint16Array([1, 2, 3, 4, 500, 600]);
    const f2 = new Uint16Array([7, 8, 9, 10, 11, 12]);
    const img = await decodePart10(
      syntheticPart10(mono(2, 3, 16, { NumberOfFrames: 2 }), '1.2.840.10008.1.2.8.1', {
        values: [
          bytesOf(deflateRawSync(Buffer.from(bytesOf(f1)))),
          bytesOf(deflateRawSync(Buffer.from(bytesOf(f2)))),
        ],
        vr: 'OB',
      }),
    );
    expect(img.frames.map((f) => Array.from(f))).toEqual([Array.from(f1), Array.from(f2)]);
  });

  it('fails with typed errors naming the reason', async () => {
    const short = syntheticPart10(mono(4, 4, 16), EXPLICIT_LE, { values: [new ArrayBuffer(20)], vr: 'OW' });
    await expect(decodePart10(short)).rejects.toThrow(/Pixel Data holds 20 bytes/);
    const none = syntheticPart10(mono(4, 4, 16), EXPLICIT_LE);
    await expect(decodePart10(none)).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringMatching(/no Pixel Data/),
    });
    const unknownTs = syntheticPart10(mono(1, 1, 8), '1.2.840.10008.1.2.4.100', {
      values: [new ArrayBuffer(2)],
      vr: 'OB',
    });
    await expect(decodePart10(unknownTs)).rejects.toThrow(/1\.2\.840\.10008\.1\.2\.4\.100 is not supported/);
    const notJpeg = syntheticPart10(mono(1, 1, 8), '1.2.840.10008.1.2.4.50', {
      values: [new ArrayBuffer(8)],
      vr: 'OB',
    });
    await expect(decodePart10(notJpeg)).rejects.toBeInstanceOf(NodeError);
  });

  it('decodes JPEG Extended 12-bit (SOF1, precision 12) with the built-in DCT decoder', async () => {
    const values = [0, 4095, 1234];
    const buf = syntheticPart10(mono(8, 24, 16, { BitsStored: 12, HighBit: 11 }), '1.2.840.10008.1.2.4.51', {
      values: [bytesOf(flatBlocksJpeg(values))],
      vr: 'OB',
    });
    const img = await decodePart10(buf);
    expect(img.frames[0]).toBeInstanceOf(Uint16Array);
    expect([0, 8, 16].map((x) => img.frames[0]![5 * 24 + x])).toEqual(values);
  });

  it('reads a dataset stored without preamble and File Meta Information', async () => {
    const full = syntheticPart10(mono(1, 2, 8), IMPLICIT_LE, {
      values: [new Uint8Array([5, 6]).buffer],
      vr: 'OB',
    });
    // skip preamble, DICM and the meta group: the meta group length is the first meta element
    const metaLength = full.readUInt32LE(132 + 8);
    const bare = full.subarray(132 + 12 + metaLength);
    const img = await decodePart10(Buffer.from(bare));
    expect(Array.from(img.frames[0]!)).toEqual([5, 6]);
  });
});
