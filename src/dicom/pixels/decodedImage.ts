import type { NaturalDataset } from '../dcmjs';

/** One decoded frame: stored values, typed by Bits Allocated and Pixel Representation (PS3.3 C.7.6.3). */
export type PixelArray = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** An image with every frame decoded to stored values (before any LUT). */
export interface DecodedImage {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  /** Bits Allocated (0028,0100) as found; 1-bit frames are unpacked to one byte (0 or 1) per pixel. */
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  /** The photometric interpretation of `frames`: 'RGB' once YBR has been converted. */
  photometricInterpretation: string;
  /** Photometric Interpretation (0028,0004) as found in the dataset. */
  sourcePhotometricInterpretation: string;
  numberOfFrames: number;
  /**
   * Stored values per frame, colour interleaved (planar configuration normalised to 0), after
   * YBR→RGB for colour. Uint8Array for 8-bit (and unpacked 1-bit), Uint16Array/Int16Array for
   * 16-bit (sign per PixelRepresentation), Uint32Array/Int32Array/Float32Array for 32-bit.
   */
  frames: PixelArray[];
  /** The dataset without Pixel Data. */
  header: NaturalDataset;
  transferSyntaxUid: string;
}

/** The pixel description read from the Image Pixel Module (PS3.3 C.7.6.3). */
export interface PixelDescription {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  planarConfiguration: 0 | 1;
  photometricInterpretation: string;
  numberOfFrames: number;
}
