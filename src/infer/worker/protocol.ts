import type { ModelManifest } from '../manifest/modelManifestSchema';
import type { SeriesInstanceRef } from '../../pipeline/types';
import type { ModelJobOutput } from '../engine/modelJobTypes';

/** A float32 tensor as it crosses the thread boundary. */
export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/** main → worker: run one model on one series. */
export interface WorkerRequest {
  id: number;
  modelPath: string;
  /** Session cache key, `<id>@<version>`. */
  key: string;
  manifest: ModelManifest;
  instances: SeriesInstanceRef[];
  settings: Record<string, unknown>;
}

/** worker → main. */
export type WorkerResponse =
  | { id: number; ok: true; output: ModelJobOutput }
  | { id: number; ok: false; code: string; message: string; details: string[] };
