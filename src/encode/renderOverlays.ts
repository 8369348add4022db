import type { HeatMap, InferenceResult, SegmentDescription } from '../pipeline/types';
import { jet } from './colorMap';
import { formatDs } from './dicomValues';
import { blendPixel, drawTextBlock, type RgbImage } from './rgbCanvas';

/** The disclaimer burned into every rendering (PRODUCT.md 5). */
export const DISCLAIMER = 'AI RESULT - NOT FOR PRIMARY DIAGNOSIS';

const HEAT_ALPHA = 0.5;
const HEAT_FLOOR = 0.1;
const FILL_ALPHA = 0.25;

/** Bilinear sample of a heat map at fractional heat-map coordinates. */
function sampleHeat(h: HeatMap, x: number, y: number): number {
  const x0 = Math.max(0, Math.min(h.columns - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(h.rows - 1, Math.floor(y)));
  const x1 = Math.min(h.columns - 1, x0 + 1);
  const y1 = Math.min(h.rows - 1, y0 + 1);
  const fx = Math.min(1, Math.max(0, x - x0));
  const fy = Math.min(1, Math.max(0, y - y0));
  const at = (xx: number, yy: number): number => h.data[yy * h.columns + xx] ?? 0;
  return (
    (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy
  );
}

/**
 * Blends a heat map (0..1, any size: resampled bilinearly to the image) in a jet colour map,
 * opacity growing with the value; values under 0.1 leave the underlay untouched.
 */
export function blendHeatMap(img: RgbImage, heat: HeatMap): void {
  const sx = heat.columns / img.columns;
  const sy = heat.rows / img.rows;
  for (let y = 0; y < img.rows; y++) {
    for (let x = 0; x < img.columns; x++) {
      const v = sampleHeat(heat, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5);
      if (v >= HEAT_FLOOR) blendPixel(img, x, y, jet(v), HEAT_ALPHA * Math.min(1, v));
    }
  }
}

/** Draws each segment of a label frame: a light fill and a solid outline in the segment colour. */
export function drawMask(img: RgbImage, labels: Uint8Array, segments: readonly SegmentDescription[]): void {
  const { rows, columns } = img;
  const colors = new Map(segments.map((s) => [s.segmentNumber, s.color] as const));
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const v = labels[y * columns + x]!;
      const color = v === 0 ? undefined : colors.get(v);
      if (!color) continue;
      const edge =
        x === 0 ||
        y === 0 ||
        x === columns - 1 ||
        y === rows - 1 ||
        labels[y * columns + x - 1] !== v ||
        labels[y * columns + x + 1] !== v ||
        labels[(y - 1) * columns + x] !== v ||
        labels[(y + 1) * columns + x] !== v;
      blendPixel(img, x, y, color, edge ? 1 : FILL_ALPHA);
    }
  }
}

/** Text lines describing a result: the model, then each finding and measurement. */
export function resultLines(result: InferenceResult): string[] {
  const lines = [`${result.modelName} ${result.modelVersion}`];
  for (const f of result.findings) {
    const p = f.probability === null ? '' : ` ${Math.round(f.probability * 100)}%`;
    lines.push(`${f.label}:${p} ${f.present ? 'PRESENT' : 'ABSENT'}`);
  }
  for (const m of result.measurements)
    lines.push(`${m.name}: ${formatDs(Number(m.value.toPrecision(4)))} ${m.unit.code}`);
  return lines;
}

/** Burns the result text at the top and the disclaimer at the bottom. */
export function annotate(img: RgbImage, lines: readonly string[]): void {
  drawTextBlock(img, lines, 'top', [255, 255, 255]);
  drawTextBlock(img, [DISCLAIMER], 'bottom', [255, 255, 0]);
}
