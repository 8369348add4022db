import { NodeError } from '../pipeline/errors';
import type { InferenceResult, ResultKind } from '../pipeline/types';
import type { ResultWriter } from './resultWriter';
import { prepareDerivedSeries } from './writeDerivedSeries';
import { prepareMeasurementReport } from './writeMeasurementReport';
import { prepareSecondaryCaptures } from './writeSecondaryCapture';
import { prepareSegmentation } from './writeSegmentation';

const asks = (result: InferenceResult, kind: ResultKind): boolean => result.results.includes(kind);

/** SEG: asked for and a label volume exists. */
export const segmentationWriter: ResultWriter = Object.freeze({
  kind: 'SEG' as const,
  applies: (r: InferenceResult) => asks(r, 'SEG') && r.labelVolume !== undefined,
  build: prepareSegmentation,
});

/** SR: always when there are findings or measurements (the machine-readable result, RESULTS.md 0). */
export const measurementReportWriter: ResultWriter = Object.freeze({
  kind: 'SR' as const,
  applies: (r: InferenceResult) => r.findings.length > 0 || r.measurements.length > 0,
  build: prepareMeasurementReport,
});

/** SC: asked for and there is something to draw (heat map, label volume or findings text). */
export const secondaryCaptureWriter: ResultWriter = Object.freeze({
  kind: 'SC' as const,
  applies: (r: InferenceResult) =>
    asks(r, 'SC') && ((r.heatMaps?.length ?? 0) > 0 || r.labelVolume !== undefined || r.findings.length > 0),
  build: prepareSecondaryCaptures,
});

/** DERIVED: asked for and the model produced image frames. */
export const derivedSeriesWriter: ResultWriter = Object.freeze({
  kind: 'DERIVED' as const,
  applies: (r: InferenceResult) => asks(r, 'DERIVED') && (r.derivedFrames?.length ?? 0) > 0,
  build: prepareDerivedSeries,
});

/**
 * The writers in the order they run: SEG before SR (the SR refers to the SEG's segments), then
 * renderings. A new kind registers here, not in a switch (STYLE.md 9).
 */
export const DEFAULT_WRITERS: readonly ResultWriter[] = Object.freeze([
  segmentationWriter,
  measurementReportWriter,
  secondaryCaptureWriter,
  derivedSeriesWriter,
]);

/** Checks that a writer list registers each kind once. */
export function checkWriters(writers: readonly ResultWriter[]): void {
  const kinds = writers.map((w) => w.kind);
  const dup = kinds.find((k, i) => kinds.indexOf(k) !== i);
  if (dup) throw new NodeError('ENCODE_INVALID', `two writers registered for ${dup}`);
}
