import {
  applyModalityLut,
  applyVoiWindow,
  defaultWindow,
  expandSegmentedLut,
  paletteToRgb,
  toDisplayRgb,
  type DecodedImage,
} from '../../../../src/dicom/pixels';

describe('applyModalityLut (PS3.3 C.11.1)', () => {
  it('applies Rescale Slope and Intercept', () => {
    const out = applyModalityLut(new Int16Array([0, 1, 1000, -5]), {
      RescaleSlope: '2',
      RescaleIntercept: '-1024',
    });
    expect(Array.from(out)).toEqual([-1024, -1022, 976, -1034]);
  });

  it('is the identity without any modality transformation', () => {
    expect(Array.from(applyModalityLut(new Uint16Array([3, 65535]), {}))).toEqual([3, 65535]);
  });

  it('prefers the per-frame Pixel Value Transformation of an enhanced multi-frame image', () => {
    const header = {
      SharedFunctionalGroupsSequence: [
        { PixelValueTransformationSequence: [{ RescaleSlope: 1, RescaleIntercept: 0 }] },
      ],
      PerFrameFunctionalGroupsSequence: [
        { PixelValueTransformationSequence: [{ RescaleSlope: 1, RescaleIntercept: -1000 }] },
        { PixelValueTransformationSequence: [{ RescaleSlope: 0.5, RescaleIntercept: 10 }] },
      ],
    };
    expect(Array.from(applyModalityLut([100], header, 0))).toEqual([-900]);
    expect(Array.from(applyModalityLut([100], header, 1))).toEqual([60]);
  });

  it('reads 8-bit values as signed when Pixel Representation is 1', () => {
    const header = { PixelRepresentation: 1, BitsAllocated: 8 };
    expect(Array.from(applyModalityLut(new Uint8Array([0xff, 0x80, 0x7f]), header))).toEqual([-1, -128, 127]);
  });

  it('maps through a Modality LUT Sequence, clamping outside its range', () => {
    const header = { ModalityLUTSequence: [{ LUTDescriptor: [3, 10, 16], LUTData: [100, 200, 300] }] };
    expect(Array.from(applyModalityLut([9, 10, 11, 12, 13], header))).toEqual([100, 100, 200, 300, 300]);
  });
});

describe('applyVoiWindow (PS3.3 C.11.2.1.2.1 linear)', () => {
  it('follows the linear function and its two thresholds', () => {
    const c = 40;
    const w = 400;
    const lower = c - 0.5 - (w - 1) / 2; // -160
    const upper = c - 0.5 + (w - 1) / 2; // 239
    const x = new Float32Array([lower - 10, lower, lower + 0.5, c - 0.5, upper, upper + 0.5, 3000]);
    const y = applyVoiWindow(x, c, w);
    const expected = (v: number): number => Math.round(((v - (c - 0.5)) / (w - 1) + 0.5) * 255);
    expect(Array.from(y)).toEqual([0, 0, expected(lower + 0.5), 128, 255, 255, 255]);
  });

  it('treats a width of 1 as a threshold at the centre', () => {
    expect(Array.from(applyVoiWindow(new Float32Array([99, 99.5, 100, 101]), 100, 1))).toEqual([
      0, 0, 255, 255,
    ]);
  });

  it('writes into a caller buffer', () => {
    const out = new Uint8Array(2);
    expect(applyVoiWindow(new Float32Array([0, 1000]), 500, 1000, out)).toBe(out);
  });
});

describe('defaultWindow', () => {
  it('uses the first Window Center/Width of the header', () => {
    expect(
      defaultWindow(new Float32Array([0]), { WindowCenter: ['40', '400'], WindowWidth: ['350', '2000'] }),
    ).toEqual({
      center: 40,
      width: 350,
    });
  });

  it('spans minimum to maximum otherwise', () => {
    expect(defaultWindow(new Float32Array([-100, 50, 300]), {})).toEqual({ center: 100, width: 401 });
    const y = applyVoiWindow(new Float32Array([-100, 300]), 100, 401);
    expect(y[0]).toBeLessThanOrEqual(1);
    expect(y[1]).toBe(255);
  });
});

describe('palette colour (PS3.3 C.7.6.3.1.5-6, C.7.9.2)', () => {
  it('expands discrete and linear segments', () => {
    // discrete [0, 10], then a linear ramp of 4 entries to 50, then discrete [7]
    expect(expandSegmentedLut([0, 2, 0, 10, 1, 4, 50, 0, 1, 7])).toEqual([0, 10, 20, 30, 40, 50, 7]);
  });

  it('maps indices through 16-bit tables to 8 bits, honouring the first mapped value', () => {
    const lut = (vals: number[]): ArrayBuffer => new Uint16Array(vals).buffer;
    const header = {
      RedPaletteColorLookupTableDescriptor: [3, 100, 16],
      GreenPaletteColorLookupTableDescriptor: [3, 100, 16],
      BluePaletteColorLookupTableDescriptor: [3, 100, 16],
      RedPaletteColorLookupTableData: [lut([0xffff, 0x0000, 0x8000])],
      GreenPaletteColorLookupTableData: [lut([0x0000, 0xffff, 0x8000])],
      BluePaletteColorLookupTableData: [lut([0x0000, 0x0000, 0x8000])],
    };
    expect(Array.from(paletteToRgb([100, 101, 102, 99, 150], header))).toEqual([
      255, 0, 0, 0, 255, 0, 128, 128, 128, 255, 0, 0, 128, 128, 128,
    ]);
  });
});

describe('toDisplayRgb', () => {
  const image = (pi: string, values: number[], header: Record<string, unknown> = {}): DecodedImage => ({
    rows: 1,
    columns: values.length,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 0,
    photometricInterpretation: pi,
    sourcePhotometricInterpretation: pi,
    numberOfFrames: 1,
    frames: [Uint16Array.from(values)],
    header,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
  });

  it('windows monochrome values and inverts MONOCHROME1', () => {
    const header = { WindowCenter: 100, WindowWidth: 101 };
    const m2 = toDisplayRgb(image('MONOCHROME2', [0, 200], header), 0);
    const m1 = toDisplayRgb(image('MONOCHROME1', [0, 200], header), 0);
    expect(Array.from(m2)).toEqual([0, 0, 0, 255, 255, 255]);
    expect(Array.from(m1)).toEqual([255, 255, 255, 0, 0, 0]);
  });

  it('applies the modality LUT before the window', () => {
    const header = { RescaleSlope: 1, RescaleIntercept: -1000, WindowCenter: 0, WindowWidth: 2 };
    expect(Array.from(toDisplayRgb(image('MONOCHROME2', [990, 1010], header), 0))).toEqual([
      0, 0, 0, 255, 255, 255,
    ]);
  });

  it('rejects a frame index that does not exist', () => {
    expect(() => toDisplayRgb(image('MONOCHROME2', [1]), 3)).toThrow(/frame 3 does not exist/);
  });
});
