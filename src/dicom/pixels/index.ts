export type { DecodedImage, PixelArray, PixelDescription } from './decodedImage';
export { decodeFile, decodePart10 } from './decodePart10';
export { pixelDescription } from './pixelDescription';
export { applyModalityLut } from './modalityLut';
export { applyVoiWindow, defaultWindow } from './voiWindow';
export { paletteToRgb, expandSegmentedLut } from './paletteColor';
export { toDisplayRgb } from './toDisplayRgb';
export { ybrToRgb } from './colourConversion';
export { rleDecode } from './rleDecode';
