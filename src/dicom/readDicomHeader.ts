import fs from 'node:fs/promises';
import { DatasetInvalidError } from '../pipeline/errors';
import { dcmjs, type NaturalDataset } from './dcmjs';

/** The header of a Part 10 file: meta information (group 0002) and the dataset up to Pixel Data. */
export interface DicomHeader {
  transferSyntaxUid: string;
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  dataset: NaturalDataset;
}

const FIRST_READ = 64 * 1024;
const MAX_HEADER = 64 * 1024 * 1024;

function parse(
  buf: Buffer,
  untilPixelData: boolean,
): { meta: Record<string, { Value?: unknown[] }>; dict: Record<string, unknown> } {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return dcmjs.data.DicomMessage.readFile(
    ab,
    untilPixelData ? { untilTag: '7FE00010', includeUntilTagValue: false } : {},
  ) as unknown as { meta: Record<string, { Value?: unknown[] }>; dict: Record<string, unknown> };
}

/** Parses the header of an in-memory Part 10 file (tolerant when reading, STYLE.md 4). */
export function parseDicomHeader(buf: Buffer): DicomHeader {
  let r;
  try {
    r = parse(buf, true);
  } catch (e) {
    throw new DatasetInvalidError(`not a readable DICOM Part 10 file: ${(e as Error).message}`, { cause: e });
  }
  return toHeader(r);
}

function toHeader(r: {
  meta: Record<string, { Value?: unknown[] }>;
  dict: Record<string, unknown>;
}): DicomHeader {
  const metaValue = (tag: string): string =>
    String(r.meta[tag]?.Value?.[0] ?? '')
      .replace(/\0/g, '')
      .trim();
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(r.dict) as NaturalDataset;
  return {
    transferSyntaxUid: metaValue('00020010'),
    mediaStorageSopClassUid: metaValue('00020002'),
    mediaStorageSopInstanceUid: metaValue('00020003'),
    dataset,
  };
}

/** (7FE0,0010) Pixel Data as its tag bytes in little endian and big endian (PS3.5 7.1). */
const PIXEL_DATA_LE = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);
const PIXEL_DATA_BE = Buffer.from([0x7f, 0xe0, 0x00, 0x10]);

function hasPixelDataTag(buf: Buffer): boolean {
  return buf.includes(PIXEL_DATA_LE) || buf.includes(PIXEL_DATA_BE);
}

/**
 * Reads the header of a Part 10 file without reading its pixel data: a prefix is read and parsed
 * up to (7FE0,0010); a prefix too short is doubled until the header fits (PS3.10 7.1).
 */
export async function readDicomHeader(file: string): Promise<DicomHeader> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    let want = Math.min(size, FIRST_READ);
    let lastError: unknown;
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      const whole = bytesRead >= size;
      // dcmjs reads a value cut by the end of the prefix as a shorter value (with a warning)
      // instead of failing: until the Pixel Data tag is in the prefix, read more first.
      if (!whole && !hasPixelDataTag(buf.subarray(0, bytesRead)) && want < MAX_HEADER) {
        want = Math.min(size, want * 4, MAX_HEADER);
        continue;
      }
      try {
        return toHeader(parse(buf.subarray(0, bytesRead), true));
      } catch (e) {
        lastError = e;
        if (whole || want >= MAX_HEADER) break;
        want = Math.min(size, want * 4, MAX_HEADER);
      }
    }
    throw new DatasetInvalidError(
      `not a readable DICOM Part 10 file: ${(lastError as Error)?.message ?? 'unknown error'}`,
      { cause: lastError },
    );
  } finally {
    await fh.close();
  }
}
