import type { NaturalDataset } from '../dicom';
import type { InferenceResult, ResultKind } from '../pipeline/types';
import type { EncodeContext } from './encodeContext';
import type { SourceInstance } from './sourceInstances';

/** Pixels of a source frame as display RGB (8-bit interleaved), for the SC underlay. */
export interface DisplayFrame {
  rows: number;
  columns: number;
  rgb: Uint8Array;
}

/** Reads a source frame (0-based frame index) as display RGB: modality LUT, VOI window, MONOCHROME1 applied. */
export type UnderlayReader = (filePath: string, frameIndex: number) => Promise<DisplayFrame>;

/** What every writer receives. */
export interface WriterInput {
  result: InferenceResult;
  ctx: EncodeContext;
  /** Headers of `result.sourceInstances`, same order. */
  sources: SourceInstance[];
  /** Objects prepared earlier in this run (the SR finds the SEG it references here). */
  built: readonly BuiltObject[];
  /** Source pixel reader for renderings (SC). */
  readUnderlay: UnderlayReader;
}

/** A dataset prepared by a writer, not yet on disk. */
export interface BuiltObject {
  kind: ResultKind;
  dataset: NaturalDataset;
}

/**
 * A writer registered under a result kind (STYLE.md 9): decides whether it applies, then builds
 * its datasets (validating its input first); encodeResults writes them once every writer has built.
 */
export interface ResultWriter {
  kind: ResultKind;
  /** True when the result asks for (or, for SR, implies) this kind and has the data for it. */
  applies(result: InferenceResult): boolean;
  build(input: WriterInput): Promise<BuiltObject[]>;
}
