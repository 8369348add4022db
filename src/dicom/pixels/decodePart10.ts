import fs from 'node:fs/promises';
import { NodeError } from '../../pipeline/errors';
import { isEncapsulated, TransferSyntax } from '../transferSyntax';
import type { CodecOutput } from './codecRegistry';
import { planarToInterleaved, upsample422, ybrToRgb } from './colourConversion';
import type { DecodedImage, PixelArray, PixelDescription } from './decodedImage';
import { encapsulatedFrames } from './encapsulatedFrames';
import { DEFLATED_IMAGE_FRAME_COMPRESSION, FRAME_DECODERS, J2K_SYNTAXES } from './frameDecoders';
import { nativeFrameBytes, pixelDescription } from './pixelDescription';
import { readPart10, type ParsedPart10 } from './readPart10';
import { normaliseStoredBits, swapBytes, toStoredArray, unpack12, unpackBits } from './storedValues';

const PACKED_422 = new Set(['YBR_FULL_422', 'YBR_PARTIAL_422']);

/** Reads a Part 10 file and decodes every frame of its Pixel Data. */
export async function decodeFile(filePath: string): Promise<DecodedImage> {
  return decodePart10(await fs.readFile(filePath));
}

/**
 * Decodes every frame of an in-memory Part 10 file (or bare dataset) to stored values, colour
 * interleaved and converted to RGB. Throws NodeError('DECODE_FAILED') naming the reason when the
 * pixel data is absent, truncated, or in a syntax or variant no installed codec handles.
 */
export async function decodePart10(buffer: Buffer): Promise<DecodedImage> {
  const parsed = readPart10(buffer);
  if (parsed.pixelValues.length === 0)
    throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: the dataset has no Pixel Data');
  let d = pixelDescription(parsed.header);
  const ts = parsed.transferSyntaxUid;
  let frames: PixelArray[];
  let photometric = d.photometricInterpretation;
  if (!isEncapsulated(ts) && ts !== DEFLATED_IMAGE_FRAME_COMPRESSION) {
    frames = nativeFrames(parsed, d);
  } else {
    if (d.bitsAllocated === 12) {
      throw new NodeError(
        'DECODE_FAILED',
        'DECODE_FAILED: Bits Allocated 12 is only supported for native (uncompressed) data',
      );
    }
    const decoder = FRAME_DECODERS.get(ts);
    if (!decoder)
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: transfer syntax ${ts} is not supported for pixel decoding`,
      );
    const encoded = encapsulatedFrames(parsed.pixelValues, d.numberOfFrames, parsed.header);
    frames = [];
    for (const f of encoded) {
      const out = await decoder(f, d);
      // A JPEG 2000 codestream that declares signed samples wins over Pixel Representation 0
      // (the TOSHIBA SIZ1/PixRep0 case); an unsigned codestream with PR 1 keeps PR's sign.
      if (out.signed && d.pixelRepresentation === 0) d = { ...d, pixelRepresentation: 1 };
      const frame = out.native ? nativeFrameFromBytes(out.bytes, 0, d) : codecFrame(out, d);
      frames.push(frame);
      if (out.photometricInterpretation) photometric = out.photometricInterpretation;
    }
    if (J2K_SYNTAXES.has(ts) && (photometric === 'YBR_ICT' || photometric === 'YBR_RCT')) photometric = 'RGB';
  }
  if (d.samplesPerPixel === 3 && photometric.startsWith('YBR_') && !(d.bitsAllocated > 16)) {
    const bits = d.bitsAllocated <= 8 ? 8 : d.bitsStored;
    for (const f of frames) ybrToRgb(f, bits, photometric.startsWith('YBR_PARTIAL'));
    photometric = 'RGB';
  }
  return {
    rows: d.rows,
    columns: d.columns,
    samplesPerPixel: d.samplesPerPixel,
    bitsAllocated: d.bitsAllocated,
    bitsStored: d.bitsStored,
    pixelRepresentation: d.pixelRepresentation,
    photometricInterpretation: photometric,
    sourcePhotometricInterpretation: d.photometricInterpretation,
    numberOfFrames: frames.length,
    frames,
    header: parsed.header,
    transferSyntaxUid: ts,
  };
}

/** Native (uncompressed) Pixel Data, PS3.5 8.1.1; Explicit VR Big Endian swapped per word (A.3). */
function nativeFrames(parsed: ParsedPart10, d: PixelDescription): PixelArray[] {
  const whole = new Uint8Array(parsed.pixelValues[0]!);
  const float = parsed.pixelKeyword !== 'PixelData';
  const unit =
    parsed.pixelKeyword === 'DoubleFloatPixelData'
      ? 8
      : parsed.pixelKeyword === 'FloatPixelData'
        ? 4
        : d.bitsAllocated;
  const frameBytes = float ? d.rows * d.columns * d.samplesPerPixel * (unit as number) : nativeFrameBytes(d);
  const needed =
    d.bitsAllocated === 1 && !float
      ? Math.ceil((d.rows * d.columns * d.samplesPerPixel * d.numberOfFrames) / 8)
      : frameBytes * d.numberOfFrames;
  if (whole.length < needed) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: Pixel Data holds ${whole.length} bytes, ${d.numberOfFrames} frame(s) of ${d.rows}x${d.columns}x${d.samplesPerPixel} at ${d.bitsAllocated} bits need ${needed}`,
    );
  }
  let bytes = whole;
  if (parsed.transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian) {
    bytes = whole.slice(0, needed + (needed % 2));
    const word = float
      ? (unit as 4 | 8)
      : d.bitsAllocated === 32
        ? 4
        : d.bitsAllocated === 16 || parsed.pixelVr === 'OW'
          ? 2
          : 0;
    if (word) swapBytes(bytes, word as 2 | 4 | 8);
  }
  const frames: PixelArray[] = [];
  for (let f = 0; f < d.numberOfFrames; f++) {
    if (float) {
      const count = d.rows * d.columns * d.samplesPerPixel;
      frames.push(toStoredArray(bytes.subarray(f * frameBytes, (f + 1) * frameBytes), count, unit, d, true));
    } else if (d.bitsAllocated === 1) {
      const count = d.rows * d.columns * d.samplesPerPixel;
      frames.push(unpackBits(bytes, f * count, count));
    } else if (d.bitsAllocated === 12) {
      const frame = unpack12(
        bytes.subarray(f * frameBytes, (f + 1) * frameBytes),
        d.rows * d.columns * d.samplesPerPixel,
      );
      normaliseStoredBits(frame, d);
      frames.push(frame);
    } else {
      frames.push(nativeFrameFromBytes(bytes.subarray(f * frameBytes, (f + 1) * frameBytes), 0, d));
    }
  }
  return frames;
}

/** One native frame's bytes to stored values, planar and 4:2:2 layouts normalised to interleaved. */
function nativeFrameFromBytes(bytes: Uint8Array, bitOffset: number, d: PixelDescription): PixelArray {
  const pixels = d.rows * d.columns;
  if (d.bitsAllocated === 1) return unpackBits(bytes, bitOffset, pixels * d.samplesPerPixel);
  const packed = d.samplesPerPixel === 3 && PACKED_422.has(d.photometricInterpretation);
  const count = packed ? pixels * 2 : pixels * d.samplesPerPixel;
  const bytesPerSample = d.bitsAllocated <= 8 ? 1 : d.bitsAllocated <= 16 ? 2 : 4;
  if (bytes.length < count * bytesPerSample) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: frame holds ${bytes.length} bytes, ${count * bytesPerSample} needed`,
    );
  }
  let data = toStoredArray(bytes, count, bytesPerSample, d);
  normaliseStoredBits(data, d);
  if (packed) data = upsample422(data, d.rows, d.columns);
  else if (d.samplesPerPixel > 1 && d.planarConfiguration === 1)
    data = planarToInterleaved(data, pixels, d.samplesPerPixel);
  return data;
}

/** A codec's output checked against the Image Pixel Module and converted to stored values. */
function codecFrame(out: CodecOutput, d: PixelDescription): PixelArray {
  if (
    !out.planar &&
    out.samplesPerPixel === d.samplesPerPixel &&
    out.rows <= d.rows &&
    out.columns <= d.columns &&
    (out.rows < d.rows || out.columns < d.columns)
  ) {
    // Tolerant reading: an edge tile coded smaller than Rows x Columns is placed top-left, zero-filled.
    return codecFrame(padFrame(out, d.rows, d.columns), d);
  }
  if (out.rows !== d.rows || out.columns !== d.columns || out.samplesPerPixel !== d.samplesPerPixel) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: codestream is ${out.columns}x${out.rows}x${out.samplesPerPixel}, the dataset says ${d.columns}x${d.rows}x${d.samplesPerPixel}`,
    );
  }
  const pixels = d.rows * d.columns;
  const count = pixels * d.samplesPerPixel;
  if (out.bytes.length < count * out.bytesPerSample) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: codec returned ${out.bytes.length} bytes, ${count * out.bytesPerSample} expected`,
    );
  }
  let data = toStoredArray(out.bytes, count, out.bytesPerSample, d);
  normaliseStoredBits(data, d);
  if (out.planar && d.samplesPerPixel > 1) data = planarToInterleaved(data, pixels, d.samplesPerPixel);
  return data;
}

function padFrame(out: CodecOutput, rows: number, columns: number): CodecOutput {
  const px = out.samplesPerPixel * out.bytesPerSample;
  const bytes = new Uint8Array(rows * columns * px);
  const srcRow = out.columns * px;
  for (let r = 0; r < out.rows; r++)
    bytes.set(out.bytes.subarray(r * srcRow, (r + 1) * srcRow), r * columns * px);
  return { ...out, bytes, rows, columns };
}
