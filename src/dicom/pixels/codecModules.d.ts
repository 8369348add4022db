// The WASM/JS decoders ship no type declarations; these describe the part the node calls.
// They are reached only through src/dicom/pixels/codecRegistry.ts.

/** The decoder object shape shared by the @cornerstonejs/codec-* WASM builds. */
interface CornerstoneFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface CornerstoneDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CornerstoneFrameInfo;
  delete?(): void;
}
type CornerstoneCodecFactory = (
  moduleArg?: Record<string, unknown>,
) => Promise<Record<string, new () => CornerstoneDecoder>>;

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: CornerstoneCodecFactory;
  export = factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: CornerstoneCodecFactory;
  export = factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: CornerstoneCodecFactory;
  export = factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: CornerstoneCodecFactory;
  export = factory;
}
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    decompress(buffer: ArrayBuffer, offset?: number, length?: number): ArrayBuffer;
  }
}
