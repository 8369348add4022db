import { decodeJpegDct } from '../../../../src/dicom/pixels/jpegDctDecoder';
import { flatBlocksJpeg } from './syntheticJpeg';

describe('decodeJpegDct (12-bit sequential DCT, ISO 10918-1)', () => {
  it('decodes flat 12-bit blocks to their exact values', () => {
    const values = [0, 4095, 2048, 1000, 3333];
    const img = decodeJpegDct(flatBlocksJpeg(values));
    expect([img.rows, img.columns, img.components, img.precision]).toEqual([8, 40, 1, 12]);
    for (let b = 0; b < values.length; b++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) expect(img.samples[y * 40 + b * 8 + x]).toBe(values[b]);
  });

  it('resets the DC predictor at restart markers', () => {
    const values = [100, 200, 300, 400];
    const img = decodeJpegDct(flatBlocksJpeg(values, 1));
    expect(values.map((_, b) => img.samples[b * 8])).toEqual(values);
  });

  it('rejects progressive codestreams with a typed error', () => {
    const progressive = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xc2, 0, 11, 12, 0, 8, 0, 8, 1, 1, 0x11, 0, 0xff, 0xd9,
    ]);
    expect(() => decodeJpegDct(progressive)).toThrow(/DECODE_FAILED: JPEG DCT decoder: SOF marker 0xFFC2/);
  });
});
