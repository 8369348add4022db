/** The Image Pixel module (PS3.3 C.7.6.3) of a grey 16-bit image: one sample, signed when `pixels` is an Int16Array, Pixel Data OW. */
export function greyPixelModule(
  rows: number,
  columns: number,
  pixels: Uint16Array | Int16Array,
  o: { bitsStored?: number; photometric?: 'MONOCHROME1' | 'MONOCHROME2' } = {},
): Record<string, unknown> {
  const bitsStored = o.bitsStored ?? 16;
  return {
    SamplesPerPixel: 1,
    PhotometricInterpretation: o.photometric ?? 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: bitsStored,
    HighBit: bitsStored - 1,
    PixelRepresentation: pixels instanceof Int16Array ? 1 : 0,
    PixelData: [pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength)],
    _vrMap: { PixelData: 'OW' },
  };
}
