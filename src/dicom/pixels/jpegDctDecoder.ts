import { NodeError } from '../../pipeline/errors';

/**
 * A sequential DCT JPEG decoder (ISO/IEC 10918-1 processes 1, 2 and 4: baseline and extended,
 * Huffman coded, 8- or 12-bit samples), written for the one case no installed package handles:
 * DICOM JPEG Extended 12-bit (PS3.5 A.4.1, 1.2.840.10008.1.2.4.51). Progressive and arithmetic
 * coded processes are rejected with a typed error. Components are returned as coded (no colour
 * transform), upsampled to the full image size by sample replication.
 */
export interface JpegDctImage {
  rows: number;
  columns: number;
  components: number;
  precision: number;
  /** Interleaved samples, one Uint16 per sample (precision up to 12 bits). */
  samples: Uint16Array;
}

/** Zig-zag order (ISO 10918-1 Figure A.6): ZIGZAG[k] is the natural (row-major) index of coefficient k. */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
]);

/** cos((2x+1)uπ/16)·C(u)/2, indexed [x*8 + u] (ISO 10918-1 A.3.3 inverse DCT, separable). */
const IDCT_BASIS = (() => {
  const t = new Float64Array(64);
  for (let x = 0; x < 8; x++)
    for (let u = 0; u < 8; u++)
      t[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return t;
})();

/** A Huffman table in the decoding form of ISO 10918-1 F.2.2.3 (MAXCODE, VALPTR, MINCODE). */
interface HuffmanTable {
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1]!;
    if (n > 0) {
      valptr[l] = k;
      mincode[l] = code;
      code += n;
      k += n;
      maxcode[l] = code - 1;
    }
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Dequantized-then-transformed samples of the component plane, blocksPerLine*8 wide. */
  plane: Float32Array;
  pred: number;
  dc?: HuffmanTable;
  ac?: HuffmanTable;
}

function fail(message: string): never {
  throw new NodeError('DECODE_FAILED', `DECODE_FAILED: JPEG DCT decoder: ${message}`);
}

/** Bit reader over entropy-coded data: skips stuffed zero bytes, stops at markers (F.2.2.5). */
class BitReader {
  private bits = 0;
  private count = 0;
  marker = -1;
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  bit(): number {
    if (this.count === 0) {
      if (this.marker >= 0 || this.pos >= this.data.length) {
        this.bits = 0; // past a marker: feed zeros (a corrupt stream ends in garbage, not a hang)
      } else {
        const b = this.data[this.pos++]!;
        if (b === 0xff) {
          const next = this.data[this.pos]!;
          if (next === 0) this.pos++;
          else {
            this.marker = next;
            this.pos--;
            this.bits = 0;
            this.count = 8;
            return this.bit();
          }
        }
        this.bits = b;
      }
      this.count = 8;
    }
    this.count--;
    return (this.bits >> this.count) & 1;
  }

  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  decode(t: HuffmanTable): number {
    let code = this.bit();
    let l = 1;
    while (code > t.maxcode[l]!) {
      code = (code << 1) | this.bit();
      l++;
      if (l > 16) fail('bad Huffman code');
    }
    return t.values[t.valptr[l]! + code - t.mincode[l]!]!;
  }

  /** Aligns to the next byte and consumes an RSTn marker (F.2.2.4 / E.2.4). */
  restart(): void {
    this.count = 0;
    if (this.marker < 0) {
      while (
        this.pos + 1 < this.data.length &&
        !(
          this.data[this.pos] === 0xff &&
          this.data[this.pos + 1]! >= 0xd0 &&
          this.data[this.pos + 1]! <= 0xd7
        )
      )
        this.pos++;
    }
    if (this.data[this.pos] === 0xff && this.data[this.pos + 1]! >= 0xd0 && this.data[this.pos + 1]! <= 0xd7)
      this.pos += 2;
    this.marker = -1;
  }
}

function extend(v: number, t: number): number {
  return t === 0 ? 0 : v < 1 << (t - 1) ? v - (1 << t) + 1 : v;
}

/** Decodes one sequential DCT JPEG codestream. */
export function decodeJpegDct(data: Uint8Array): JpegDctImage {
  if (data[0] !== 0xff || data[1] !== 0xd8) fail('no SOI marker');
  const quant: Array<Int32Array | undefined> = [];
  const dcTables: Array<HuffmanTable | undefined> = [];
  const acTables: Array<HuffmanTable | undefined> = [];
  let components: Component[] = [];
  let precision = 8;
  let rows = 0;
  let columns = 0;
  let hMax = 1;
  let vMax = 1;
  let mcusPerLine = 0;
  let mcusPerColumn = 0;
  let restartInterval = 0;
  let p = 2;
  const u16 = (o: number): number => (data[o]! << 8) | data[o + 1]!;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) {
      p++;
      continue;
    }
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const length = u16(p + 2);
    const seg = p + 4;
    const end = p + 2 + length;
    if (marker === 0xdb) {
      // DQT (B.2.4.1): 8- or 16-bit entries in zig-zag order
      let q = seg;
      while (q < end) {
        const pq = data[q]! >> 4;
        const tq = data[q]! & 15;
        q++;
        const table = new Int32Array(64);
        for (let k = 0; k < 64; k++) {
          table[k] = pq ? u16(q) : data[q]!;
          q += pq ? 2 : 1;
        }
        quant[tq] = table;
      }
    } else if (marker === 0xc4) {
      // DHT (B.2.4.2)
      let q = seg;
      while (q < end) {
        const tc = data[q]! >> 4;
        const th = data[q]! & 15;
        const counts = data.subarray(q + 1, q + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        const table = buildHuffman(counts, data.slice(q + 17, q + 17 + total));
        (tc === 0 ? dcTables : acTables)[th] = table;
        q += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(seg);
    } else if (marker === 0xc0 || marker === 0xc1) {
      precision = data[seg]!;
      rows = u16(seg + 1);
      columns = u16(seg + 3);
      const nf = data[seg + 5]!;
      if (!rows || !columns || nf < 1 || nf > 4)
        fail(`unsupported frame header (${columns}x${rows}, ${nf} components)`);
      components = [];
      for (let c = 0; c < nf; c++) {
        const o = seg + 6 + 3 * c;
        components.push({
          id: data[o]!,
          h: data[o + 1]! >> 4 || 1,
          v: data[o + 1]! & 15 || 1,
          tq: data[o + 2]!,
          blocksPerLine: 0,
          blocksPerColumn: 0,
          plane: new Float32Array(0),
          pred: 0,
        });
      }
      hMax = Math.max(...components.map((c) => c.h));
      vMax = Math.max(...components.map((c) => c.v));
      mcusPerLine = Math.ceil(columns / (8 * hMax));
      mcusPerColumn = Math.ceil(rows / (8 * vMax));
      for (const c of components) {
        c.blocksPerLine = mcusPerLine * c.h;
        c.blocksPerColumn = mcusPerColumn * c.v;
        c.plane = new Float32Array(c.blocksPerLine * 8 * c.blocksPerColumn * 8);
      }
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      fail(
        `SOF marker 0xFF${marker.toString(16).toUpperCase()} (progressive, lossless or arithmetic) is not handled here`,
      );
    } else if (marker === 0xda) {
      if (components.length === 0) fail('SOS before SOF');
      const ns = data[seg]!;
      const scan: Component[] = [];
      for (let s = 0; s < ns; s++) {
        const id = data[seg + 1 + 2 * s]!;
        const tables = data[seg + 2 + 2 * s]!;
        const c = components.find((x) => x.id === id) ?? fail(`scan names unknown component ${id}`);
        c.dc = dcTables[tables >> 4] ?? fail('missing DC Huffman table');
        c.ac = acTables[tables & 15] ?? fail('missing AC Huffman table');
        c.pred = 0;
        scan.push(c);
      }
      const reader = new BitReader(data, end);
      decodeScan(reader, scan, quant, mcusPerLine, mcusPerColumn, columns, rows, hMax, vMax, restartInterval);
      p = reader.pos;
      // continue scanning for markers after the entropy-coded data
      while (
        p + 1 < data.length &&
        !(data[p] === 0xff && data[p + 1] !== 0 && !(data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7))
      )
        p++;
      continue;
    }
    p = end;
  }
  if (components.length === 0) fail('no frame header');
  return assemble(components, rows, columns, precision, hMax, vMax);
}

function decodeScan(
  reader: BitReader,
  scan: Component[],
  quant: Array<Int32Array | undefined>,
  mcusPerLine: number,
  mcusPerColumn: number,
  columns: number,
  rows: number,
  hMax: number,
  vMax: number,
  restartInterval: number,
): void {
  const coef = new Float64Array(64);
  const block = (c: Component, row: number, col: number): void => {
    const q = quant[c.tq] ?? fail(`missing quantization table ${c.tq}`);
    coef.fill(0);
    const t = reader.decode(c.dc!);
    c.pred += extend(reader.receive(t), t);
    coef[0] = c.pred * q[0]!;
    for (let k = 1; k < 64;) {
      const rs = reader.decode(c.ac!);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) break;
      coef[ZIGZAG[k]!] = extend(reader.receive(s), s) * q[k]!;
      k++;
    }
    idctInto(coef, c.plane, c.blocksPerLine * 8, row * 8, col * 8);
  };
  const single = scan.length === 1;
  const only = scan[0]!;
  // a single-component scan covers only the component's own blocks (A.2.2)
  const linesX = single ? Math.ceil(Math.ceil((columns * only.h) / hMax) / 8) : mcusPerLine;
  const linesY = single ? Math.ceil(Math.ceil((rows * only.v) / vMax) / 8) : mcusPerColumn;
  const total = linesX * linesY;
  for (let m = 0; m < total; m++) {
    if (restartInterval && m > 0 && m % restartInterval === 0) {
      reader.restart();
      for (const c of scan) c.pred = 0;
    }
    const my = Math.floor(m / linesX);
    const mx = m % linesX;
    if (single) block(only, my, mx);
    else
      for (const c of scan)
        for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(c, my * c.v + v, mx * c.h + h);
  }
}

/** Inverse DCT of one block (rows then columns) written into the component plane. */
function idctInto(coef: Float64Array, plane: Float32Array, stride: number, y0: number, x0: number): void {
  const tmp = new Float64Array(64);
  for (let v = 0; v < 8; v++) {
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += IDCT_BASIS[x * 8 + u]! * coef[v * 8 + u]!;
      tmp[v * 8 + x] = s;
    }
  }
  for (let x = 0; x < 8; x++) {
    for (let y = 0; y < 8; y++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += IDCT_BASIS[y * 8 + v]! * tmp[v * 8 + x]!;
      plane[(y0 + y) * stride + x0 + x] = s;
    }
  }
}

function assemble(
  components: Component[],
  rows: number,
  columns: number,
  precision: number,
  hMax: number,
  vMax: number,
): JpegDctImage {
  const n = components.length;
  const out = new Uint16Array(rows * columns * n);
  const shift = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  components.forEach((c, ci) => {
    const stride = c.blocksPerLine * 8;
    for (let y = 0; y < rows; y++) {
      const sy = Math.floor((y * c.v) / vMax);
      for (let x = 0; x < columns; x++) {
        const sx = Math.floor((x * c.h) / hMax);
        const v = Math.round(c.plane[sy * stride + sx]! + shift);
        out[(y * columns + x) * n + ci] = v < 0 ? 0 : v > max ? max : v;
      }
    }
  });
  return { rows, columns, components: n, precision, samples: out };
}
