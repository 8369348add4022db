export { storeFiles, NO_DIMSE_STATUS, type StoreFilesOptions, type StoreResult } from './storeScu';
export {
  classifyCStoreStatus,
  formatStatus,
  type CStoreStatusClass,
  type CStoreStatusInfo,
} from './cStoreStatus';
export { readPart10Meta, parsePart10Meta, type Part10Meta } from './part10Meta';
export {
  ScuAssociation,
  type ScuTlsOptions,
  type ScuAssociationOptions,
  type DatasetSource,
} from './scuAssociation';
