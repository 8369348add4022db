import { inflateRawSync, inflateSync } from 'node:zlib';
import { NodeError } from '../../pipeline/errors';
import { TransferSyntax } from '../transferSyntax';
import { decodeHtj2k, decodeJ2k, decodeJpeg, decodeJpegLs, type CodecOutput } from './codecRegistry';
import type { PixelDescription } from './decodedImage';
import { rleDecode } from './rleDecode';

/** Decodes one encapsulated frame to samples. */
export type FrameDecoder = (frame: Uint8Array, d: PixelDescription) => Promise<CodecOutput> | CodecOutput;

/** Deflated Image Frame Compression: each frame is a deflate stream of native frame bytes (PS3.5 A.4.X, 1.2.840.10008.1.2.8.1). */
export const DEFLATED_IMAGE_FRAME_COMPRESSION = '1.2.840.10008.1.2.8.1';

function containerBytes(d: PixelDescription): 1 | 2 | 4 {
  return d.bitsAllocated <= 8 ? 1 : d.bitsAllocated <= 16 ? 2 : 4;
}

function rle(frame: Uint8Array, d: PixelDescription): CodecOutput {
  if (d.bitsAllocated === 1) {
    // 1-bit data: each segment holds the packed bits of one sample plane (PS3.5 G.2, 8.1.1).
    const packedBytes = Math.ceil((d.rows * d.columns) / 8);
    return {
      bytes: rleDecode(frame, packedBytes, d.samplesPerPixel, 1),
      bytesPerSample: 1,
      samplesPerPixel: d.samplesPerPixel,
      rows: d.rows,
      columns: d.columns,
      planar: false,
      native: true,
    };
  }
  const bytesPerSample = containerBytes(d);
  return {
    bytes: rleDecode(frame, d.rows * d.columns, d.samplesPerPixel, bytesPerSample),
    bytesPerSample,
    samplesPerPixel: d.samplesPerPixel,
    rows: d.rows,
    columns: d.columns,
    planar: false,
  };
}

function deflatedFrame(frame: Uint8Array, d: PixelDescription): CodecOutput {
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(frame);
  } catch {
    try {
      bytes = inflateSync(frame);
    } catch (e) {
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: deflated frame does not inflate (${(e as Error).message})`,
        [],
        { cause: e },
      );
    }
  }
  const bytesPerSample = containerBytes(d);
  return {
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    bytesPerSample,
    samplesPerPixel: d.samplesPerPixel,
    rows: d.rows,
    columns: d.columns,
    planar: d.planarConfiguration === 1,
    native: true,
  };
}

/**
 * The frame decoder registered for each encapsulated transfer syntax (STYLE.md 9: extend by
 * registering). JPEG entries look at the SOF marker, so a lossless codestream sent under a lossy
 * UID is still decoded correctly.
 */
export const FRAME_DECODERS: ReadonlyMap<string, FrameDecoder> = new Map<string, FrameDecoder>([
  [TransferSyntax.RLELossless, rle],
  [TransferSyntax.JPEGBaseline8Bit, decodeJpeg],
  [TransferSyntax.JPEGExtended12Bit, decodeJpeg],
  [TransferSyntax.JPEGLossless, decodeJpeg],
  [TransferSyntax.JPEGLosslessSV1, decodeJpeg],
  [TransferSyntax.JPEGLSLossless, decodeJpegLs],
  [TransferSyntax.JPEGLSNearLossless, decodeJpegLs],
  [TransferSyntax.JPEG2000Lossless, decodeJ2k],
  [TransferSyntax.JPEG2000, decodeJ2k],
  ['1.2.840.10008.1.2.4.92', decodeJ2k],
  ['1.2.840.10008.1.2.4.93', decodeJ2k],
  [TransferSyntax.HTJ2KLossless, decodeHtj2k],
  [TransferSyntax.HTJ2KLosslessRPCL, decodeHtj2k],
  [TransferSyntax.HTJ2K, decodeHtj2k],
  [DEFLATED_IMAGE_FRAME_COMPRESSION, deflatedFrame],
]);

/** Transfer syntaxes whose frames are JPEG 2000 / HTJ2K codestreams (the codec undoes RCT/ICT). */
export const J2K_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JPEG2000Lossless,
  TransferSyntax.JPEG2000,
  '1.2.840.10008.1.2.4.92',
  '1.2.840.10008.1.2.4.93',
  TransferSyntax.HTJ2KLossless,
  TransferSyntax.HTJ2KLosslessRPCL,
  TransferSyntax.HTJ2K,
]);
