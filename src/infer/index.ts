/**
 * The infer stage (ARCHITECTURE.md): model manifests and registry, and the engine that runs a
 * model on a series in worker threads and hands on an InferenceResult.
 */
export { loadManifest, parseManifest, MANIFEST_FILE } from './manifest/loadManifest';
export {
  modelManifestSchema,
  type ModelManifest,
  type LabelSpec,
  type MeasurementSpec,
  type PreprocessStepSpec,
  type PostprocessStepSpec,
} from './manifest/modelManifestSchema';
export {
  ModelRegistry,
  type LoadedModel,
  type ModelListing,
  type ModelRegistryOptions,
} from './registry/ModelRegistry';
export { sha256File } from './registry/sha256File';
export { InferenceEngine, type InferenceEngineOptions, type SeriesInput } from './engine/InferenceEngine';
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats } from './worker/WorkerPool';
