import type { ModelManifest } from '../manifest/modelManifestSchema';
import type { InputItem } from '../engine/buildInputs';
import type { ModelJobOutput, TensorRunner } from '../engine/modelJobTypes';
import type { TensorData } from '../worker/protocol';

/** What a task gets: preprocessed items (their `work` is the model input) and a way to run the graph. */
export interface TaskContext {
  manifest: ModelManifest;
  items: InputItem[];
  settings: Record<string, unknown>;
  /** Runs the graph on one work image (the clinical tensor, if any, is added by the caller). */
  runGraph: (work: InputItem['work']) => Promise<TensorData>;
  /** The same, with every output of the graph by name (heat maps and other extra outputs). */
  runGraphOutputs: (work: InputItem['work']) => Promise<Record<string, TensorData>>;
  runner: TensorRunner;
}

/** The task's share of the job output (the caller adds timing). */
export type TaskOutput = Omit<ModelJobOutput, 'stageMs' | 'outOfScope' | 'reason'>;

/** A model task (manifest `task`), registered under its key. */
export type Task = (ctx: TaskContext) => Promise<TaskOutput>;
