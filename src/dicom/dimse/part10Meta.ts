import fs from 'node:fs/promises';
import { DatasetInvalidError } from '../../pipeline/errors';

/** Where the data set of a Part 10 file starts, and what its File Meta Information says. */
export interface Part10Meta {
  /** (0002,0010) Transfer Syntax UID. */
  transferSyntaxUid: string;
  /** (0002,0002) Media Storage SOP Class UID. */
  sopClassUid: string;
  /** (0002,0003) Media Storage SOP Instance UID. */
  sopInstanceUid: string;
  /** Byte offset of the first data set element (after group 0002). */
  datasetOffset: number;
  /** File size in bytes. */
  size: number;
}

const PREAMBLE = 128;
const HEAD_BYTES = 64 * 1024;
// PS3.5 7.1.2: these VRs have a 2-byte reserved field and a 32-bit length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Reads the File Meta Information (PS3.10 7.1: 128-byte preamble, "DICM", group 0002 in Explicit
 * VR Little Endian) without reading the data set, so a sender can stream the data set bytes as
 * stored. Throws DatasetInvalidError for a file that is not Part 10.
 */
export async function readPart10Meta(file: string): Promise<Part10Meta> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return parsePart10Meta(head.subarray(0, bytesRead), size);
  } finally {
    await fh.close();
  }
}

/** Parses the meta information from the first bytes of a file (see readPart10Meta). */
export function parsePart10Meta(head: Buffer, size: number): Part10Meta {
  if (head.length < PREAMBLE + 4 || head.toString('ascii', PREAMBLE, PREAMBLE + 4) !== 'DICM') {
    throw new DatasetInvalidError('not a DICOM Part 10 file (no "DICM" prefix, PS3.10 7.1)');
  }
  const values = new Map<number, string>();
  let p = PREAMBLE + 4;
  while (p + 8 <= head.length && head.readUInt16LE(p) === 0x0002) {
    const el = head.readUInt16LE(p + 2);
    const vr = head.toString('ascii', p + 4, p + 6);
    let len: number;
    let start: number;
    if (LONG_VRS.has(vr)) {
      if (p + 12 > head.length) break;
      len = head.readUInt32LE(p + 8);
      start = p + 12;
    } else {
      len = head.readUInt16LE(p + 6);
      start = p + 8;
    }
    if (start + len > head.length)
      throw new DatasetInvalidError('truncated or oversized File Meta Information');
    if (vr === 'UI') values.set(el, head.toString('ascii', start, start + len).replace(/[\0 ]+$/, ''));
    p = start + len;
  }
  const transferSyntaxUid = values.get(0x0010) ?? '';
  const sopClassUid = values.get(0x0002) ?? '';
  const sopInstanceUid = values.get(0x0003) ?? '';
  if (!transferSyntaxUid || !sopClassUid || !sopInstanceUid) {
    throw new DatasetInvalidError(
      'File Meta Information lacks Transfer Syntax, SOP Class or SOP Instance UID (PS3.10 7.1)',
    );
  }
  return { transferSyntaxUid, sopClassUid, sopInstanceUid, datasetOffset: p, size };
}
