/**
 * Stage encode (ARCHITECTURE.md): InferenceResult → EncodedObject[] — Comprehensive SR TID 1500,
 * BINARY SEG, (multi-frame true colour) Secondary Capture renderings and derived image series,
 * all in the source study, in new series, with UIDs derived from the run.
 */
export { encodeResults, type EncodeDependencies } from './encodeResults';
export {
  validateEncodeContext,
  DEFAULT_SERIES_NUMBER_BASE,
  type EncodeContext,
  type PredecessorReference,
} from './encodeContext';
export {
  writeMeasurementReport,
  prepareMeasurementReport,
  buildMeasurementReport,
  type SegmentationReference,
} from './writeMeasurementReport';
export { writeSegmentation, prepareSegmentation, buildSegmentation } from './writeSegmentation';
export { writeSecondaryCapture, prepareSecondaryCaptures } from './writeSecondaryCapture';
export { writeDerivedSeries, prepareDerivedSeries } from './writeDerivedSeries';
export { DEFAULT_WRITERS } from './writerRegistry';
export { loadSourceInstances, type SourceInstance } from './sourceInstances';
export type { ResultWriter, WriterInput, BuiltObject, UnderlayReader, DisplayFrame } from './resultWriter';
