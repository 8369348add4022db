import zlib from 'node:zlib';
import { encodePng } from '../../../src/api/encodePng';
import { matchValue } from '../../../src/api/qidoQuery';
import { renderFrame } from '../../../src/api/renderFrame';
import type { DecodedImage } from '../../../src/dicom/pixels';

function image(values: number[], header: Record<string, unknown>, photometric = 'MONOCHROME2'): DecodedImage {
  return {
    rows: 1,
    columns: values.length,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    photometricInterpretation: photometric,
    sourcePhotometricInterpretation: photometric,
    numberOfFrames: 1,
    frames: [Int16Array.from(values)],
    header,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
  };
}

describe('encodePng (ISO/IEC 15948)', () => {
  it('writes signature, IHDR and an IDAT that inflates to filtered rows', () => {
    const png = encodePng(Uint8Array.from([0, 128, 255, 1, 2, 3]), 3, 2, 1);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString()).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
    const idatAt = png.indexOf('IDAT');
    const len = png.readUInt32BE(idatAt - 4);
    expect(zlib.inflateSync(png.subarray(idatAt + 4, idatAt + 4 + len))).toEqual(
      Buffer.from([0, 0, 128, 255, 0, 1, 2, 3]),
    );
    expect(png.subarray(-8, -4).toString()).toBe('IEND');
    expect(() => encodePng(new Uint8Array(5), 3, 2, 1)).toThrow(RangeError);
  });
});

describe('renderFrame (PS3.3 C.11.1 Modality LUT, C.11.2.1.2 VOI linear)', () => {
  it('applies rescale and the first window, clamping to 0..255', () => {
    const d = renderFrame(
      image([-1024, 0, 40, 80, 2000], {
        RescaleSlope: 1,
        RescaleIntercept: 0,
        WindowCenter: [40, 300],
        WindowWidth: [80, 1500],
      }),
      1,
    );
    expect(Array.from(d.pixels)).toEqual([0, 0, 129, 255, 255]);
  });

  it('uses the frame range without a window, and inverts MONOCHROME1', () => {
    const d = renderFrame(image([0, 50, 100], {}, 'MONOCHROME1'), 1);
    expect(Array.from(d.pixels)).toEqual([255, 126, 0]);
    expect(() => renderFrame(image([0], {}), 2)).toThrow(/frame 2/);
  });
});

describe('QIDO-RS attribute matching (PS3.4 C.2.2.2)', () => {
  it.each([
    ['Doe^Jane', 'doe^jane', 'PN', false, true],
    ['Doe^Jane', 'Do*', 'PN', false, true],
    ['Doe^Jane', 'J?ne', 'PN', false, false],
    ['Doe^Jane', '*^J?ne', 'PN', false, true],
    ['Doe^Jane', 'jan', 'PN', true, true],
    ['Doe^Jane', 'do ja', 'PN', true, true],
    ['Doe^Jane', 'smi', 'PN', true, false],
    ['20260115', '20260101-20260131', 'DA', false, true],
    ['20260215', '20260101-20260131', 'DA', false, false],
    ['20260215', '20260101-', 'DA', false, true],
    ['19991231', '-2000', 'DA', false, true],
    ['', '20260101-', 'DA', false, false],
    ['1.2.3', '1.2.4,1.2.3', 'UI', false, true],
    ['1.2.3', '1.2.4\\1.2.5', 'UI', false, false],
    ['CT', 'ct', 'CS', false, false],
    ['anything', '', 'LO', false, true],
    ['ACC-1', 'ACC*', 'SH', false, true],
  ])('%s against %s (%s, fuzzy %s) → %s', (value, query, vr, fuzzy, expected) => {
    expect(matchValue(value, query, vr, fuzzy)).toBe(expected);
  });
});
