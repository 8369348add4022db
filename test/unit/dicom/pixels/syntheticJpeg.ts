/* Test input builder: hand-coded JPEG codestreams (no encoder is installed). */

/**
 * A minimal 12-bit sequential JPEG (SOF1) built by hand: flat 8x8 blocks, so only DC
 * coefficients are coded (ISO 10918-1 F.1.2.1): F(0,0) = 8 * (value - 2048) with a unit
 * quantizer. One-symbol Huffman tables give every DC category and the AC end-of-block the code "0".
 */
export function flatBlocksJpeg(values: number[], restartEvery = 0): Uint8Array {
  const bits: number[] = [];
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]): void => {
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  };
  // DQT: 16-bit table (Pq=1), all ones
  segment(0xdb, [0x10, ...new Array<number>(128).fill(0).map((_, i) => (i % 2 === 1 ? 1 : 0))]);
  // SOF1: precision 12, 8 rows, 8*n columns, 1 component (id 1, 1x1, table 0)
  const columns = 8 * values.length;
  segment(0xc1, [12, 0, 8, columns >> 8, columns & 255, 1, 1, 0x11, 0]);
  // the DC differences and their categories
  let pred = 0;
  const diffs = values.map((v) => {
    const dc = 8 * (v - 2048);
    const d = dc - pred;
    pred = dc;
    return d;
  });
  const cat = (d: number): number => (d === 0 ? 0 : Math.floor(Math.log2(Math.abs(d))) + 1);
  // with restarts the predictor resets, so recompute those differences from zero
  if (restartEvery) values.forEach((v, i) => i % restartEvery === 0 && (diffs[i] = 8 * (v - 2048)));
  const dcSymbols = [...new Set(diffs.map(cat))].sort((a, b) => a - b);
  // DC table: canonical codes, lengths chosen so every symbol gets a distinct code of length ≤ 16
  const dcCounts = new Array<number>(16).fill(0);
  dcCounts[Math.max(1, Math.ceil(Math.log2(dcSymbols.length + 1))) - 1] = dcSymbols.length;
  segment(0xc4, [0x00, ...dcCounts, ...dcSymbols]);
  segment(0xc4, [0x10, 1, ...new Array<number>(15).fill(0), 0x00]); // AC: EOB only, code "0"
  if (restartEvery) segment(0xdd, [0, restartEvery]);
  segment(0xda, [1, 1, 0x00, 0, 63, 0]);
  const len = Math.max(1, Math.ceil(Math.log2(dcSymbols.length + 1)));
  const flush = (): void => {
    while (bits.length % 8) bits.push(1);
    for (let i = 0; i < bits.length; i += 8) {
      const b = parseInt(bits.slice(i, i + 8).join(''), 2);
      out.push(b);
      if (b === 0xff) out.push(0);
    }
    bits.length = 0;
  };
  diffs.forEach((d, i) => {
    if (restartEvery && i > 0 && i % restartEvery === 0) {
      flush();
      out.push(0xff, 0xd0 + ((((i / restartEvery) | 0) - 1) % 8));
    }
    const s = cat(d);
    const code = dcSymbols.indexOf(s);
    for (let b = len - 1; b >= 0; b--) bits.push((code >> b) & 1);
    const v = d < 0 ? d + (1 << s) - 1 : d;
    for (let b = s - 1; b >= 0; b--) bits.push((v >> b) & 1);
    bits.push(0); // EOB
  });
  flush();
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
