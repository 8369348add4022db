/** The store stage: streamed, fsynced, atomically renamed and indexed instances. */
export {
  InstanceStore,
  type InstanceStoreOptions,
  type StoreStreamOptions,
  type InstanceWrite,
} from './instanceStore';
export { InstanceFileWriter, type WriteOutcome } from './instanceFileWriter';
export { buildFileMetaInformation, type FileMetaInput } from './fileMetaInformation';
export { validateHeader, type InstanceFacts, type HeaderExpectation } from './validateHeader';
export { checkDatasetStructure } from './checkDatasetStructure';
