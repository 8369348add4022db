import { num, readDicomHeader, str, type NaturalDataset } from '../dicom';
import { NodeError } from '../pipeline/errors';
import type { InferenceResult, SeriesInstanceRef } from '../pipeline/types';

/** A source instance with its header (no pixel data), as the writers use it. */
export interface SourceInstance {
  ref: SeriesInstanceRef;
  dataset: NaturalDataset;
  modality: string;
  numberOfFrames: number;
}

/** Reads the header of every source instance of a result; all must belong to the result's study. */
export async function loadSourceInstances(result: InferenceResult): Promise<SourceInstance[]> {
  if (result.sourceInstances.length === 0) {
    throw new NodeError('ENCODE_INVALID', 'inference result without source instances');
  }
  const out: SourceInstance[] = [];
  for (const ref of result.sourceInstances) {
    const { dataset } = await readDicomHeader(ref.filePath);
    out.push(fromDataset(ref, dataset));
  }
  const studies = new Set(out.map((s) => str(s.dataset, 'StudyInstanceUID')));
  if (studies.size !== 1 || !studies.has(result.studyInstanceUid)) {
    throw new NodeError('ENCODE_INVALID', 'source instances do not all belong to the study of the result');
  }
  return out;
}

/** A SourceInstance from a header already read. */
export function fromDataset(ref: SeriesInstanceRef, dataset: NaturalDataset): SourceInstance {
  return {
    ref,
    dataset,
    modality: str(dataset, 'Modality') ?? 'OT',
    numberOfFrames: Math.max(1, num(dataset, 'NumberOfFrames') ?? 1),
  };
}

/** The source instance holding a SOP Instance UID. */
export function findSource(sources: readonly SourceInstance[], sopInstanceUid: string): SourceInstance {
  const s = sources.find((x) => x.ref.sopInstanceUid === sopInstanceUid);
  if (!s)
    throw new NodeError(
      'ENCODE_INVALID',
      `frame references ${sopInstanceUid}, which is not a source instance`,
    );
  return s;
}
