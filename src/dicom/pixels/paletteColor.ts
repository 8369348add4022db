import { NodeError } from '../../pipeline/errors';
import type { NaturalDataset } from '../dcmjs';
import { lutDescriptor, lutWords, type LutDescriptor } from './lutData';

/** One channel of a palette colour LUT, expanded and scaled to 8 bits. */
export interface PaletteChannel {
  firstMapped: number;
  table: Uint8Array;
}

/**
 * Expands segmented LUT data (PS3.3 C.7.9.2): discrete segments (opcode 0) copy their values,
 * linear segments (opcode 1) ramp from the previous value to the given one. Indirect segments
 * (opcode 2) are rejected with a typed error.
 */
export function expandSegmentedLut(words: ArrayLike<number>): number[] {
  const out: number[] = [];
  let p = 0;
  while (p + 1 < words.length) {
    const op = words[p]!;
    const length = words[p + 1]!;
    if (op === 0) {
      for (let i = 0; i < length; i++) out.push(words[p + 2 + i]!);
      p += 2 + length;
    } else if (op === 1) {
      const y0 = out.length > 0 ? out[out.length - 1]! : 0;
      const y1 = words[p + 2]!;
      for (let i = 1; i <= length; i++) out.push(Math.round(y0 + ((y1 - y0) * i) / length));
      p += 3;
    } else if (op === 2) {
      throw new NodeError(
        'DECODE_FAILED',
        'DECODE_FAILED: indirect segments in a segmented palette LUT are not supported',
      );
    } else {
      throw new NodeError('DECODE_FAILED', `DECODE_FAILED: segmented palette LUT has unknown opcode ${op}`);
    }
  }
  return out;
}

function channel(header: NaturalDataset, colour: 'Red' | 'Green' | 'Blue'): PaletteChannel {
  const desc: LutDescriptor | null = lutDescriptor(header, `${colour}PaletteColorLookupTableDescriptor`);
  if (!desc)
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: PALETTE COLOR image without ${colour} Palette Color Lookup Table Descriptor`,
    );
  let values = lutWords(header, `${colour}PaletteColorLookupTableData`, desc);
  if (values.length === 0) {
    const segmented = lutWords(header, `Segmented${colour}PaletteColorLookupTableData`, null);
    if (segmented.length === 0)
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: PALETTE COLOR image without ${colour} palette data`,
      );
    values = expandSegmentedLut(segmented);
  }
  // PS3.3 C.7.6.3.1.5: entries are 8 or 16 bits; scale to 8.
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const shift = desc.bits === 16 || max > 255 ? 8 : 0;
  const table = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) table[i] = values[i]! >> shift;
  return { firstMapped: desc.firstMapped, table };
}

/** Maps palette indices to interleaved 8-bit RGB (PS3.3 C.7.6.3.1.5-6); indices outside the LUT clamp to its ends. */
export function paletteToRgb(
  indices: ArrayLike<number>,
  header: NaturalDataset,
  out?: Uint8Array,
): Uint8Array {
  const channels = [channel(header, 'Red'), channel(header, 'Green'), channel(header, 'Blue')];
  const n = indices.length;
  const dst = out ?? new Uint8Array(n * 3);
  for (let c = 0; c < 3; c++) {
    const { firstMapped, table } = channels[c]!;
    const last = table.length - 1;
    for (let i = 0; i < n; i++) {
      const idx = indices[i]! - firstMapped;
      dst[i * 3 + c] = table[idx < 0 ? 0 : idx > last ? last : idx]!;
    }
  }
  return dst;
}
