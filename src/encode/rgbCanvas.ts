import { CELL_HEIGHT, CELL_WIDTH, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './bitmapFont';

/** An 8-bit RGB image, colour-by-pixel (PlanarConfiguration 0, PS3.3 C.7.6.3.1.3). */
export interface RgbImage {
  rows: number;
  columns: number;
  data: Uint8Array;
}

/** An RGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** Blends a colour into one pixel with opacity `alpha` (0..1); outside pixels are ignored. */
export function blendPixel(img: RgbImage, x: number, y: number, color: Rgb, alpha: number): void {
  if (x < 0 || y < 0 || x >= img.columns || y >= img.rows) return;
  const o = (y * img.columns + x) * 3;
  for (let c = 0; c < 3; c++)
    img.data[o + c] = Math.round(img.data[o + c]! * (1 - alpha) + color[c]! * alpha);
}

/** Fills a rectangle, blended with opacity `alpha`. */
export function fillRect(
  img: RgbImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  color: Rgb,
  alpha = 1,
): void {
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) blendPixel(img, x, y, color, alpha);
}

/** Text scale so that characters stay readable: about one font pixel per 300 image columns. */
export function textScale(columns: number): number {
  return Math.max(1, Math.round(columns / 300));
}

/** Splits text into lines that fit `maxChars` characters, breaking at spaces when possible. */
export function wrapText(text: string, maxChars: number): string[] {
  const limit = Math.max(1, maxChars);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    let w = word;
    while (w.length > limit) {
      if (line) out.push(line);
      line = '';
      out.push(w.slice(0, limit));
      w = w.slice(limit);
    }
    const next = line ? `${line} ${w}` : w;
    if (next.length > limit) {
      out.push(line);
      line = w;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}

/** Draws one line of text with its top-left corner at (x, y), each font pixel a `scale`×`scale` block. */
export function drawText(img: RgbImage, x: number, y: number, text: string, color: Rgb, scale: number): void {
  [...text].forEach((ch, i) => {
    const rows = glyph(ch);
    const gx = x + i * CELL_WIDTH * scale;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if ((rows[r]! >> (GLYPH_WIDTH - 1 - c)) & 1)
          fillRect(img, gx + c * scale, y + r * scale, scale, scale, color);
      }
    }
  });
}

/**
 * Draws a block of text lines (wrapped to the image width) on a dark translucent band, at the
 * top or the bottom of the image. Returns the height used.
 */
export function drawTextBlock(
  img: RgbImage,
  lines: readonly string[],
  where: 'top' | 'bottom',
  color: Rgb,
): number {
  const scale = textScale(img.columns);
  const margin = 2 * scale;
  const maxChars = Math.floor((img.columns - 2 * margin) / (CELL_WIDTH * scale));
  const wrapped = lines.flatMap((l) => wrapText(l, maxChars));
  const lineHeight = CELL_HEIGHT * scale;
  const height = wrapped.length * lineHeight + 2 * margin;
  const y0 = where === 'top' ? 0 : Math.max(0, img.rows - height);
  fillRect(img, 0, y0, img.columns, height, [0, 0, 0], 0.6);
  wrapped.forEach((l, i) => drawText(img, margin, y0 + margin + i * lineHeight + scale, l, color, scale));
  return height;
}
