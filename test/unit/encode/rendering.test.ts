import { CELL_WIDTH, glyph, hasGlyph } from '../../../src/encode/bitmapFont';
import { rgbToDicomLab } from '../../../src/encode/cieLab';
import { jet } from '../../../src/encode/colorMap';
import { formatDs, toCodeString } from '../../../src/encode/dicomValues';
import { packBits } from '../../../src/encode/packBits';
import { blendHeatMap, drawMask, DISCLAIMER, annotate } from '../../../src/encode/renderOverlays';
import { drawText, wrapText, type RgbImage } from '../../../src/encode/rgbCanvas';

const grey = (rows: number, columns: number, v = 100): RgbImage => ({
  rows,
  columns,
  data: new Uint8Array(rows * columns * 3).fill(v),
});
const px = (img: RgbImage, x: number, y: number): number[] =>
  Array.from(img.data.subarray((y * img.columns + x) * 3, (y * img.columns + x) * 3 + 3));

describe('bitmap font and text', () => {
  it('has a glyph for every character of the disclaimer and the result lines', () => {
    for (const ch of `${DISCLAIMER}abcdefghijklmnopqrstuvwxyz0123456789:%.()/,_+=`)
      expect(hasGlyph(ch)).toBe(true);
    expect(glyph('~')).toEqual(glyph('?'));
  });

  it('draws set glyph pixels only', () => {
    const img = grey(9, 12, 0);
    drawText(img, 0, 0, 'I-', [255, 255, 255], 1);
    expect(px(img, 2, 1)).toEqual([255, 255, 255]); // stem of I
    expect(px(img, 0, 1)).toEqual([0, 0, 0]);
    expect(px(img, CELL_WIDTH + 2, 3)).toEqual([255, 255, 255]); // bar of -
    expect(px(img, CELL_WIDTH + 2, 1)).toEqual([0, 0, 0]);
  });

  it('wraps at spaces and splits words longer than a line', () => {
    expect(wrapText('AI RESULT - NOT FOR PRIMARY DIAGNOSIS', 12)).toEqual([
      'AI RESULT -',
      'NOT FOR',
      'PRIMARY',
      'DIAGNOSIS',
    ]);
    expect(wrapText('ABCDEFGHIJ', 4)).toEqual(['ABCD', 'EFGH', 'IJ']);
  });

  it('burns the disclaimer in yellow at the bottom, even on a narrow image', () => {
    const img = grey(120, 60, 0);
    annotate(img, ['MODEL 1.0']);
    const bottom = img.data.subarray(60 * 3 * 60);
    let yellow = 0;
    for (let i = 0; i < bottom.length; i += 3)
      if (bottom[i] === 255 && bottom[i + 1] === 255 && bottom[i + 2] === 0) yellow++;
    expect(yellow).toBeGreaterThan(50);
  });
});

describe('overlays', () => {
  it('maps 0 to blue and 1 to red', () => {
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(1)).toEqual([128, 0, 0]);
    expect(jet(0.5)[1]).toBe(255);
  });

  it('blends a heat map (resampled) where it is hot and leaves cold pixels alone', () => {
    const img = grey(8, 8);
    blendHeatMap(img, {
      sopInstanceUid: '1',
      frameNumber: 1,
      rows: 2,
      columns: 2,
      data: Float32Array.from([1, 0, 0, 0]),
    });
    expect(px(img, 0, 0)[0]).toBeGreaterThan(100);
    expect(px(img, 0, 0)[2]).toBeLessThan(100);
    expect(px(img, 7, 7)).toEqual([100, 100, 100]);
  });

  it('outlines a segment in its colour and fills it lightly', () => {
    const img = grey(6, 6);
    const labels = new Uint8Array(36);
    for (let y = 1; y < 5; y++) for (let x = 1; x < 5; x++) labels[y * 6 + x] = 1;
    drawMask(img, labels, [
      {
        segmentNumber: 1,
        label: 'x',
        category: { value: '', scheme: '', meaning: '' },
        type: { value: '', scheme: '', meaning: '' },
        color: [255, 0, 0],
      },
    ]);
    expect(px(img, 1, 1)).toEqual([255, 0, 0]);
    expect(px(img, 2, 2)).toEqual([139, 75, 75]);
    expect(px(img, 0, 0)).toEqual([100, 100, 100]);
  });
});

describe('value formatting and packing', () => {
  it('keeps DS within 16 characters', () => {
    for (const v of [0.1 + 0.2, 1 / 3, 123456789.123456, -0.000000123456789, 1e21])
      expect(formatDs(v).length).toBeLessThanOrEqual(16);
    expect(formatDs(0.24)).toBe('0.24');
    expect(() => formatDs(NaN)).toThrow();
  });

  it('makes CS values', () => {
    expect(toCodeString('AI_lung-seg.v2 extra long name')).toBe('AI_LUNG_SEG_V2 E');
  });

  it('packs bits LSB first across frames without padding, even total length', () => {
    const a = [1, 0, 0, 0, 0, 0, 0, 0, 1];
    const b = [0, 0, 0, 0, 0, 0, 0, 1, 1];
    const out = packBits([(i) => a[i] === 1, (i) => b[i] === 1], 9);
    expect(Array.from(out)).toEqual([0b00000001, 0b00000001, 0b00000011, 0]);
  });

  it('converts white and black to DICOM CIELab', () => {
    expect(rgbToDicomLab([255, 255, 255])).toEqual([65535, 32896, 32896]);
    expect(rgbToDicomLab([0, 0, 0])).toEqual([0, 32896, 32896]);
  });
});
