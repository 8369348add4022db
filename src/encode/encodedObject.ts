import { TransferSyntax, type NaturalDataset } from '../dicom';
import type { EncodedObject, InferenceResult, ResultKind } from '../pipeline/types';

/** The EncodedObject describing a dataset written to `filePath`. */
export function encodedObject(
  kind: ResultKind,
  dataset: NaturalDataset,
  filePath: string,
  result: InferenceResult,
): EncodedObject {
  return {
    kind,
    sopClassUid: String(dataset.SOPClassUID),
    sopInstanceUid: String(dataset.SOPInstanceUID),
    seriesInstanceUid: String(dataset.SeriesInstanceUID),
    studyInstanceUid: String(dataset.StudyInstanceUID),
    transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
    filePath,
    modelId: result.modelId,
    modelVersion: result.modelVersion,
  };
}
