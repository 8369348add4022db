import fs from 'node:fs/promises';
import { DatasetInvalidError } from '../pipeline/errors';

/**
 * A structural walk of a stored data set, without reading the values: every element's length
 * must fit in the bytes received, explicit VRs must be VRs, undefined-length sequences, items and
 * encapsulated Pixel Data must be closed by their delimiters (PS3.5 7.1, 7.5, A.4). Catches the
 * truncated and mis-delimited objects that a header-only read misses, in O(number of elements)
 * reads of a few bytes each, so a 2 GB instance is never held in memory.
 */

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const ALL_VRS = new Set([
  ...LONG_VRS,
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'SL',
  'SS',
  'ST',
  'TM',
  'UI',
  'UL',
  'US',
]);
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 32;

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';

/** What is already known of a file: its first bytes (kept while it was written) and its size. */
export interface KnownHead {
  head: Buffer;
  size: number;
}

/**
 * Reads small windows of a file, cached in 64 KiB blocks. Starts from the bytes kept while the
 * file was written, so a single-frame instance is walked without reading the file back.
 */
class Window {
  private start = 0;
  private buf: Buffer;
  private fh: fs.FileHandle | null = null;
  constructor(
    private readonly file: string,
    readonly size: number,
    head: Buffer = Buffer.alloc(0),
  ) {
    this.buf = head;
  }
  async bytes(pos: number, n: number): Promise<Buffer> {
    if (pos < this.start || pos + n > this.start + this.buf.length) {
      this.fh ??= await fs.open(this.file, 'r');
      const want = Math.max(n, 64 * 1024);
      const b = Buffer.alloc(want);
      const { bytesRead } = await this.fh.read(b, 0, want, pos);
      this.start = pos;
      this.buf = b.subarray(0, bytesRead);
    }
    return this.buf.subarray(pos - this.start, pos - this.start + n);
  }
  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }
}

interface Syntax {
  explicit: boolean;
  littleEndian: boolean;
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
const tagText = (g: number, e: number) => `(${hex(g)},${hex(e)})`;

/** Top-level attributes the index needs, read during the walk (PS3.6 tags → keywords). */
const IDENTIFYING: ReadonlyMap<number, string> = new Map([
  [0x00080016, 'SOPClassUID'],
  [0x00080018, 'SOPInstanceUID'],
  [0x00080060, 'Modality'],
  [0x0020000d, 'StudyInstanceUID'],
  [0x0020000e, 'SeriesInstanceUID'],
  [0x00200013, 'InstanceNumber'],
  [0x00201002, 'ImagesInAcquisition'],
  [0x00280008, 'NumberOfFrames'],
]);

/** A UI/CS/IS value as text: padding (NUL, space) removed. */
function valueText(b: Buffer): string {
  return b
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
}

class Walker {
  /** Values of the IDENTIFYING attributes found at the top level. */
  readonly values: Record<string, string> = {};
  constructor(private readonly w: Window) {}

  private fail(msg: string): never {
    throw new DatasetInvalidError(`malformed data set: ${msg}`);
  }

  private async header(pos: number, end: number): Promise<Buffer> {
    if (pos + 8 > end) this.fail(`element header at byte ${pos} is cut short`);
    return this.w.bytes(pos, 8);
  }

  /** Elements from `pos` up to `end` (defined length) or to an Item Delimitation Item (undefined). */
  async elements(
    pos: number,
    end: number,
    untilItemDelimiter: boolean,
    s: Syntax,
    depth: number,
  ): Promise<number> {
    if (depth > MAX_DEPTH) this.fail('sequences nested too deep');
    for (;;) {
      if (pos === end) {
        if (untilItemDelimiter) this.fail('an Item Delimitation Item (FFFE,E00D) is missing');
        return pos;
      }
      const h = await this.header(pos, end);
      const g = s.littleEndian ? h.readUInt16LE(0) : h.readUInt16BE(0);
      const e = s.littleEndian ? h.readUInt16LE(2) : h.readUInt16BE(2);
      if (g === 0xfffe) {
        if (e === 0xe00d && untilItemDelimiter) return pos + 8;
        this.fail(`unexpected ${tagText(g, e)} at byte ${pos}`);
      }
      let length: number;
      let vr = '';
      if (s.explicit) {
        vr = h.toString('latin1', 4, 6);
        // Tolerant when reading (STYLE.md 4): a non-standard VR is read with a 2-byte length, as
        // DCMTK does; a wrong guess still ends in a length that overruns or a missing delimiter.
        if (ALL_VRS.has(vr) && LONG_VRS.has(vr)) {
          if (pos + 12 > end) this.fail(`element header of ${tagText(g, e)} is cut short`);
          const l = await this.w.bytes(pos + 8, 4);
          length = s.littleEndian ? l.readUInt32LE(0) : l.readUInt32BE(0);
          pos += 12;
        } else {
          length = s.littleEndian ? h.readUInt16LE(6) : h.readUInt16BE(6);
          pos += 8;
        }
      } else {
        length = s.littleEndian ? h.readUInt32LE(4) : h.readUInt32BE(4);
        pos += 8;
      }
      if (length === UNDEFINED) {
        if (g === 0x7fe0 && e === 0x0010) pos = await this.fragments(pos, end, s);
        else if (!s.explicit || vr === 'SQ') pos = await this.sequence(pos, end, s, depth);
        // PS3.5 6.2.2: an undefined-length UN holds an Implicit VR Little Endian sequence.
        else if (vr === 'UN')
          pos = await this.sequence(pos, end, { explicit: false, littleEndian: true }, depth);
        else this.fail(`element ${tagText(g, e)} (${vr}) has an undefined length`);
      } else {
        if (pos + length > end)
          this.fail(`element ${tagText(g, e)} of ${length} bytes is longer than the ${end - pos} bytes left`);
        const keyword = depth === 0 ? IDENTIFYING.get(((g << 16) | e) >>> 0) : undefined;
        if (keyword && length <= 1024) this.values[keyword] = valueText(await this.w.bytes(pos, length));
        pos += length;
      }
    }
  }

  /** Items of an undefined-length sequence, up to its Sequence Delimitation Item. */
  private async sequence(pos: number, end: number, s: Syntax, depth: number): Promise<number> {
    for (;;) {
      if (pos + 8 > end) this.fail('a Sequence Delimitation Item (FFFE,E0DD) is missing');
      const h = await this.w.bytes(pos, 8);
      const g = s.littleEndian ? h.readUInt16LE(0) : h.readUInt16BE(0);
      const e = s.littleEndian ? h.readUInt16LE(2) : h.readUInt16BE(2);
      const length = s.littleEndian ? h.readUInt32LE(4) : h.readUInt32BE(4);
      pos += 8;
      if (g === 0xfffe && e === 0xe0dd) return pos;
      if (g !== 0xfffe || e !== 0xe000) this.fail(`${tagText(g, e)} found where an item was expected`);
      if (length === UNDEFINED) pos = await this.elements(pos, end, true, s, depth + 1);
      else {
        if (pos + length > end)
          this.fail(`an item of ${length} bytes is longer than the ${end - pos} bytes left`);
        pos += length;
      }
    }
  }

  /** Encapsulated Pixel Data: items of defined length, then a Sequence Delimitation Item (PS3.5 A.4). */
  private async fragments(pos: number, end: number, s: Syntax): Promise<number> {
    for (;;) {
      if (pos + 8 > end)
        this.fail('encapsulated Pixel Data (7FE0,0010) ends without a Sequence Delimitation Item');
      const h = await this.w.bytes(pos, 8);
      const g = s.littleEndian ? h.readUInt16LE(0) : h.readUInt16BE(0);
      const e = s.littleEndian ? h.readUInt16LE(2) : h.readUInt16BE(2);
      const length = s.littleEndian ? h.readUInt32LE(4) : h.readUInt32BE(4);
      pos += 8;
      if (g === 0xfffe && e === 0xe0dd) return pos;
      if (g !== 0xfffe || e !== 0xe000 || length === UNDEFINED)
        this.fail(`${tagText(g, e)} found inside encapsulated Pixel Data`);
      if (pos + length > end)
        this.fail(`a Pixel Data fragment of ${length} bytes is longer than the ${end - pos} bytes left`);
      pos += length;
    }
  }
}

/** Offset of the data set in a Part 10 file: after the preamble, "DICM" and group 0002 (PS3.10 7.1). */
async function datasetOffset(w: Window, meta: Record<number, string>): Promise<number> {
  if (w.size < 132 || (await w.bytes(128, 4)).toString('latin1') !== 'DICM') {
    throw new DatasetInvalidError('not a Part 10 file: the "DICM" prefix is missing (PS3.10 7.1)');
  }
  let pos = 132;
  // Group 0002 is always Explicit VR Little Endian; walk it rather than trusting (0002,0000).
  while (pos + 8 <= w.size) {
    const h = await w.bytes(pos, 8);
    if (h.readUInt16LE(0) !== 0x0002) return pos;
    const vr = h.toString('latin1', 4, 6);
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > w.size) break;
      pos += 12 + (await w.bytes(pos + 8, 4)).readUInt32LE(0);
    } else {
      const length = h.readUInt16LE(6);
      if ((vr === 'UI' || vr === 'AE') && pos + 8 + length <= w.size)
        meta[h.readUInt16LE(2)] = valueText(await w.bytes(pos + 8, length));
      pos += 8 + length;
    }
  }
  if (pos > w.size) throw new DatasetInvalidError('the File Meta Information is cut short');
  return pos;
}

/** What one pass over a stored Part 10 file found. */
export interface Part10Scan {
  /** The transfer syntax the data set was walked with. */
  transferSyntaxUid: string;
  /** (0002,0002) and (0002,0003), empty when absent. */
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  /** (0002,0016) Source Application Entity Title, empty when absent. */
  sourceApplicationEntityTitle: string;
  sizeBytes: number;
  /**
   * Top-level identifying attributes by keyword (SOPInstanceUID, StudyInstanceUID, Modality...),
   * as text; null for a deflated data set, which is not walked.
   */
  dataset: Record<string, string> | null;
}

/**
 * One pass over a stored Part 10 file: checks the structure of its data set (throws
 * DatasetInvalidError when it is broken) and reads the identifying attributes on the way, so the
 * node never parses a received instance twice. `transferSyntaxUid` overrides (0002,0010).
 */
export async function scanPart10(
  file: string,
  transferSyntaxUid?: string,
  known?: KnownHead,
): Promise<Part10Scan> {
  const w = new Window(file, known?.size ?? (await fs.stat(file)).size, known?.head);
  try {
    const meta: Record<number, string> = {};
    const start = await datasetOffset(w, meta);
    const ts = transferSyntaxUid ?? meta[0x0010] ?? '';
    if (!ts) throw new DatasetInvalidError('TransferSyntaxUID (0002,0010) is missing');
    const scan: Part10Scan = {
      transferSyntaxUid: ts,
      mediaStorageSopClassUid: meta[0x0002] ?? '',
      mediaStorageSopInstanceUid: meta[0x0003] ?? '',
      sourceApplicationEntityTitle: meta[0x0016] ?? '',
      sizeBytes: w.size,
      dataset: null,
    };
    if (ts === DEFLATED) return scan; // the structure is inside the deflate stream
    const walker = new Walker(w);
    await walker.elements(
      start,
      w.size,
      false,
      { explicit: ts !== IMPLICIT_LE, littleEndian: ts !== EXPLICIT_BE },
      0,
    );
    return { ...scan, dataset: walker.values };
  } finally {
    await w.close();
  }
}

/** Throws DatasetInvalidError when the data set of a Part 10 file is structurally broken. */
export async function checkDatasetStructure(file: string, transferSyntaxUid: string): Promise<void> {
  await scanPart10(file, transferSyntaxUid);
}
