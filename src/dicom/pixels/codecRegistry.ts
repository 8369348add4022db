import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { NodeError } from '../../pipeline/errors';
import type { PixelDescription } from './decodedImage';
import { decodeJpegDct, type JpegDctImage } from './jpegDctDecoder';
import { j2kCodestream, readJpegFrameHeader } from './jpegMarkers';

/** One frame as a codec hands it back: little-endian samples, interleaved unless `planar`. */
export interface CodecOutput {
  bytes: Uint8Array;
  bytesPerSample: 1 | 2 | 4;
  samplesPerPixel: number;
  rows: number;
  columns: number;
  /** Samples come as whole planes (R plane, G plane, B plane), not interleaved. */
  planar: boolean;
  /** Set when the codec changed the colour space (libjpeg YCbCr→RGB, JPEG 2000 RCT/ICT→RGB). */
  photometricInterpretation?: string;
  /** The bytes are a native frame (1-bit packed, YBR 4:2:2 packed) as PS3.5 8.1 lays it out. */
  native?: boolean;
  /** The codestream declares signed samples (JPEG 2000 SIZ Ssiz). */
  signed?: boolean;
}

type CornerstoneModule = Record<string, new () => CornerstoneDecoder>;

/**
 * The WASM codecs, instantiated once per process on first use and never changed afterwards
 * (a per-process immutable cache; STYLE.md forbids other module-level mutable state).
 */
const wasmModules = new Map<string, Promise<CornerstoneModule>>();

function loadWasm(key: 'jpeg' | 'jls' | 'j2k' | 'htj2k'): Promise<CornerstoneModule> {
  let p = wasmModules.get(key);
  if (!p) {
    p = loadWasmUncached(key);
    wasmModules.set(key, p);
  }
  return p;
}

/** The codecs print progress and errors to stdout/stderr; errors reach us as empty frames instead. */
function quiet(): Record<string, unknown> {
  return { print: (): void => undefined, printErr: (): void => undefined };
}

async function loadWasmUncached(key: 'jpeg' | 'jls' | 'j2k' | 'htj2k'): Promise<CornerstoneModule> {
  switch (key) {
    case 'jpeg':
      return (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(quiet());
    case 'jls':
      return (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(quiet());
    case 'j2k':
      return (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(quiet());
    case 'htj2k':
      return (await import('@cornerstonejs/codec-openjph/wasmjs')).default(quiet());
  }
}

function runCornerstone(
  mod: CornerstoneModule,
  className: string,
  data: Uint8Array,
  what: string,
): { info: CornerstoneFrameInfo; bytes: Uint8Array; decoder: CornerstoneDecoder } {
  const Ctor = mod[className];
  if (!Ctor) throw new NodeError('DECODE_FAILED', `DECODE_FAILED: ${what} codec has no ${className}`);
  const decoder = new Ctor();
  try {
    decoder.getEncodedBuffer(data.length).set(data);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (!info.width || !info.height || !info.componentCount) {
      throw new NodeError(
        'DECODE_FAILED',
        `DECODE_FAILED: ${what} decoder produced no image (corrupt or truncated codestream)`,
      );
    }
    const bytes = new Uint8Array(decoder.getDecodedBuffer()); // a copy, as Uint8Array whatever the codec's view type
    return { info, bytes, decoder };
  } catch (e) {
    decoder.delete?.();
    if (e instanceof NodeError) throw e;
    const msg = typeof e === 'number' ? `WASM exception ${e}` : ((e as Error)?.message ?? String(e));
    throw new NodeError('DECODE_FAILED', `DECODE_FAILED: ${what} decoder failed (${msg})`, [], { cause: e });
  }
}

function bytesFor(bits: number): 1 | 2 {
  return bits <= 8 ? 1 : 2;
}

/** JPEG baseline/extended 8-bit via libjpeg-turbo; JPEG lossless (process 14, SV1) via jpeg-lossless-decoder-js (PS3.5 A.4.1). */
export async function decodeJpeg(data: Uint8Array, d?: PixelDescription): Promise<CodecOutput> {
  const sof = readJpegFrameHeader(data);
  if (!sof) throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: JPEG frame has no SOI/SOF marker');
  if (sof.sof === 0xc3 || sof.sof === 0xc7) return decodeJpegLossless(data);
  if (sof.sof === 0xf7) return decodeJpegLs(data);
  const dct = sof.sof === 0xc0 || sof.sof === 0xc1;
  // libjpeg-turbo-8bit is 8-bit only: 12-bit extended (process 4) goes to the hand-written decoder.
  if (dct && sof.precision > 8) return dctOutput(decodeJpegDct(data));
  // RGB coded without colour transform (PS3.5 8.2.1, Photometric Interpretation RGB) and with no
  // JFIF/Adobe marker or 'R','G','B' component ids to say so: libjpeg would guess YCbCr and
  // convert, so such frames go to the decoder that keeps the components as coded.
  if (
    dct &&
    sof.components === 3 &&
    d?.photometricInterpretation === 'RGB' &&
    !sof.jfif &&
    sof.adobeTransform === null
  ) {
    const ids = sof.componentIds.join(',');
    if (ids !== '1,2,3' && ids !== '82,71,66')
      return { ...dctOutput(decodeJpegDct(data)), photometricInterpretation: 'RGB' };
  }
  if (sof.sof !== 0xc0 && sof.sof !== 0xc1) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: JPEG process with SOF marker 0xFF${sof.sof.toString(16).toUpperCase()} is not supported`,
    );
  }
  const { info, bytes, decoder } = runCornerstone(
    await loadWasm('jpeg'),
    'JPEGDecoder',
    data,
    'JPEG baseline',
  );
  decoder.delete?.();
  return {
    bytes,
    bytesPerSample: 1,
    samplesPerPixel: info.componentCount,
    rows: info.height,
    columns: info.width,
    planar: false,
    ...(info.componentCount === 3 ? { photometricInterpretation: 'RGB' } : {}),
  };
}

function dctOutput(img: JpegDctImage): CodecOutput {
  return {
    bytes: new Uint8Array(img.samples.buffer, img.samples.byteOffset, img.samples.byteLength),
    bytesPerSample: 2,
    samplesPerPixel: img.components,
    rows: img.rows,
    columns: img.columns,
    planar: false,
  };
}

/** JPEG lossless, non-hierarchical (processes 14 and 14 SV1); the point transform Pt is undone (H.1.2.1). */
export function decodeJpegLossless(data: Uint8Array): CodecOutput {
  const sof = readJpegFrameHeader(data);
  if (!sof) throw new NodeError('DECODE_FAILED', 'DECODE_FAILED: JPEG lossless frame has no SOF marker');
  let out: ArrayBuffer;
  try {
    const copy = data.slice();
    out = new JpegLosslessDecoder().decompress(copy.buffer as ArrayBuffer, 0, copy.length);
  } catch (e) {
    throw new NodeError(
      'DECODE_FAILED',
      `DECODE_FAILED: JPEG lossless decoder failed (${(e as Error).message})`,
      [],
      { cause: e },
    );
  }
  const bytesPerSample = bytesFor(sof.precision);
  if (sof.pointTransform > 0) {
    // jpeg-lossless-decoder-js returns the difference-coded values before the point transform
    const values = bytesPerSample === 2 ? new Uint16Array(out) : new Uint8Array(out);
    for (let i = 0; i < values.length; i++) values[i] = values[i]! << sof.pointTransform;
  }
  return {
    bytes: new Uint8Array(out),
    bytesPerSample,
    samplesPerPixel: sof.components,
    rows: sof.rows,
    columns: sof.columns,
    planar: false,
  };
}

/** JPEG-LS lossless and near-lossless via CharLS (PS3.5 A.4.3). */
export async function decodeJpegLs(data: Uint8Array): Promise<CodecOutput> {
  const { info, bytes, decoder } = runCornerstone(await loadWasm('jls'), 'JpegLSDecoder', data, 'JPEG-LS');
  const interleave = (decoder as unknown as { getInterleaveMode?: () => number }).getInterleaveMode?.() ?? 2;
  decoder.delete?.();
  return {
    bytes,
    bytesPerSample: bytesFor(info.bitsPerSample),
    samplesPerPixel: info.componentCount,
    rows: info.height,
    columns: info.width,
    planar: info.componentCount > 1 && interleave === 0,
  };
}

/** JPEG 2000 (lossless and lossy) via OpenJPEG (PS3.5 A.4.4); a multiple-component transform (RCT/ICT) is undone by the codec. */
export function decodeJ2k(data: Uint8Array): Promise<CodecOutput> {
  return decodeJ2kFamily(data, 'j2k', 'J2KDecoder', 'JPEG 2000');
}

/** High-Throughput JPEG 2000 via OpenJPH (PS3.5 A.4.11). */
export function decodeHtj2k(data: Uint8Array): Promise<CodecOutput> {
  return decodeJ2kFamily(data, 'htj2k', 'HTJ2KDecoder', 'HTJ2K');
}

/** One JPEG 2000 code stream (from a JP2 box or bare) through a cornerstone WASM decoder. */
async function decodeJ2kFamily(
  data: Uint8Array,
  codec: 'j2k' | 'htj2k',
  decoderClass: 'J2KDecoder' | 'HTJ2KDecoder',
  label: string,
): Promise<CodecOutput> {
  const { info, bytes, decoder } = runCornerstone(
    await loadWasm(codec),
    decoderClass,
    j2kCodestream(data),
    label,
  );
  decoder.delete?.();
  return cornerstoneOutput(info, bytes);
}

function cornerstoneOutput(info: CornerstoneFrameInfo, bytes: Uint8Array): CodecOutput {
  return {
    bytes,
    bytesPerSample: bytesFor(info.bitsPerSample),
    samplesPerPixel: info.componentCount,
    rows: info.height,
    columns: info.width,
    planar: false,
    signed: info.isSigned,
  };
}
