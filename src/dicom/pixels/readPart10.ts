import { NodeError } from '../../pipeline/errors';
import { dcmjs, type NaturalDataset } from '../dcmjs';
import { TransferSyntax } from '../transferSyntax';
import { isArrayBuffer } from './isArrayBuffer';

/** A Part 10 file parsed for pixel decoding: its dataset, transfer syntax and raw Pixel Data values. */
export interface ParsedPart10 {
  transferSyntaxUid: string;
  /** Naturalized dataset without the pixel data elements. */
  header: NaturalDataset;
  /**
   * Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009)
   * as dcmjs read it: one buffer for native data; for encapsulated data one buffer per frame when
   * a Basic Offset Table is present, otherwise one per fragment (PS3.5 A.4).
   */
  pixelValues: ArrayBuffer[];
  /** Which pixel data element was found. */
  pixelKeyword: 'PixelData' | 'FloatPixelData' | 'DoubleFloatPixelData';
  /** Its VR as read (OB/OW/OF/OD; matters for byte order in Explicit VR Big Endian, PS3.5 A.3). */
  pixelVr: string;
}

const PIXEL_TAGS = [
  ['7FE00010', 'PixelData'],
  ['7FE00008', 'FloatPixelData'],
  ['7FE00009', 'DoubleFloatPixelData'],
] as const;

type DicomDict = {
  meta: Record<string, { Value?: unknown[] }>;
  dict: Record<string, { vr?: string; Value?: unknown[] }>;
};

/**
 * A dataset stored without the Part 10 preamble and File Meta Information (PS3.10 7.1) is read
 * tolerantly (STYLE.md 4): a meta group is synthesised naming Implicit VR Little Endian, or
 * Explicit VR Little Endian when the first element carries a two-letter VR.
 */
function withSynthesisedMeta(buf: Buffer): Buffer {
  const vr = buf.subarray(4, 6).toString('latin1');
  const explicit = /^[A-Z]{2}$/.test(vr);
  const uid = explicit ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
  const value = Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');
  const tsElement = Buffer.alloc(8 + value.length);
  tsElement.writeUInt16LE(0x0002, 0);
  tsElement.writeUInt16LE(0x0010, 2);
  tsElement.write('UI', 4, 'latin1');
  tsElement.writeUInt16LE(value.length, 6);
  value.copy(tsElement, 8);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(tsElement.length, 8);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, tsElement, buf]);
}

/** A File Meta Information group written without the 128-byte preamble and "DICM" prefix. */
function startsWithMetaGroup(buf: Buffer): boolean {
  return buf.length >= 8 && buf.readUInt16LE(0) === 0x0002 && /^[A-Z]{2}$/.test(buf.toString('latin1', 4, 6));
}

function withPreamble(buf: Buffer): Buffer {
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, buf]);
}

function hasPreamble(buf: Buffer): boolean {
  return buf.length >= 132 && buf.toString('latin1', 128, 132) === 'DICM';
}

type LogLevelControl = { getLevel(): number; setLevel(level: string | number): void };
type RootLog = LogLevelControl & { getLogger?(name: string): LogLevelControl };

/**
 * Runs a synchronous dcmjs read with its loggers (root and "validation.dcmjs") silenced: tolerant
 * reading of odd files would otherwise print one console line per odd element. The levels are
 * restored before returning.
 */
function quietly<T>(read: () => T): T {
  const root = (dcmjs as unknown as { log?: RootLog }).log;
  const logs = root
    ? [root, root.getLogger?.('validation.dcmjs')].filter((l): l is LogLevelControl => !!l)
    : [];
  const previous = logs.map((l) => l.getLevel());
  for (const l of logs) l.setLevel('silent');
  try {
    return read();
  } finally {
    logs.forEach((l, i) => l.setLevel(previous[i]!));
  }
}

/** Parses a whole Part 10 file (or a bare dataset) with dcmjs, keeping Pixel Data as raw buffers. */
export function readPart10(input: Buffer): ParsedPart10 {
  const buf = hasPreamble(input)
    ? input
    : startsWithMetaGroup(input)
      ? withPreamble(input)
      : withSynthesisedMeta(input);
  let r: DicomDict;
  try {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    r = quietly(() => dcmjs.data.DicomMessage.readFile(ab, { ignoreErrors: true }) as DicomDict);
  } catch (e) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: not a readable DICOM dataset (${(e as Error).message})`,
      [],
      { cause: e },
    );
  }
  const transferSyntaxUid = String(r.meta['00020010']?.Value?.[0] ?? TransferSyntax.ImplicitVRLittleEndian)
    .replace(/\0/g, '')
    .trim();
  let pixelValues: ArrayBuffer[] = [];
  let pixelKeyword: ParsedPart10['pixelKeyword'] = 'PixelData';
  let pixelVr = 'OW';
  for (const [tag, keyword] of PIXEL_TAGS) {
    const el = r.dict[tag];
    if (el) {
      if (pixelValues.length === 0) {
        pixelValues = (el.Value ?? []).filter(isArrayBuffer);
        pixelKeyword = keyword;
        pixelVr = el.vr ?? pixelVr;
      }
      delete r.dict[tag];
    }
  }
  const header = dcmjs.data.DicomMetaDictionary.naturalizeDataset(r.dict) as NaturalDataset;
  return { transferSyntaxUid, header, pixelValues, pixelKeyword, pixelVr };
}
