import type { DerivedFrame, Finding, HeatMap, LabelVolume, Measurement } from '../../pipeline/types';
import type { TensorData } from '../worker/protocol';

/** What one model run produced (the worker's answer), before the engine adds identity and timing. */
export interface ModelJobOutput {
  outOfScope: boolean;
  reason: string | null;
  findings: Finding[];
  measurements: Measurement[];
  labelVolume?: LabelVolume;
  heatMaps?: HeatMap[];
  derivedFrames?: DerivedFrame[];
  /** Thresholds and other settings actually used (TID 4019). */
  algorithmParameters: Record<string, string>;
  /** Milliseconds per stage: decode (with volume assembly), preprocess.<step>, run, postprocess. */
  stageMs: Record<string, number>;
}

/** Runs the model graph: feeds by input name → outputs by output name. Sessions are cached by the implementation. */
export interface TensorRunner {
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
}
