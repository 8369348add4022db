export type { Volume, VolumeGrid, AssemblyReport, Direction } from './volume';
export { assembleVolume, type AssembleOptions } from './assembleVolume';
export { orientationAxes } from './orientationAxes';
export { conformedGrid, gridCentre } from './conformedGrid';
export { resampleVolume, targetToSourceIndex } from './resampleVolume';
export { sliceGeometry, type SliceGeometry } from './sliceGeometry';
