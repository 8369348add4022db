export { dcmjs, type NaturalDataset } from './dcmjs';
export { readDicomHeader, parseDicomHeader, type DicomHeader } from './readDicomHeader';
export { str, strs, num, nums, items } from './datasetValues';
export {
  generateUid,
  deriveUid,
  isValidUid,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
} from './uid';
export {
  TransferSyntax,
  ACCEPTED_TRANSFER_SYNTAXES,
  isEncapsulated,
  chooseTransferSyntax,
  LOSSLESS_TRANSFER_SYNTAXES,
} from './transferSyntax';
export { SopClass, isStorageSopClass } from './sopClass';
export {
  decodeFile,
  decodePart10,
  applyModalityLut,
  applyVoiWindow,
  defaultWindow,
  toDisplayRgb,
  type DecodedImage,
} from './pixels';
export {
  assembleVolume,
  conformedGrid,
  orientationAxes,
  resampleVolume,
  type Volume,
  type AssemblyReport,
} from './volume';
