import type { NaturalDataset } from '../../dicom/dcmjs';
import { num, str } from '../../dicom/datasetValues';
import type { ModelManifest } from '../manifest/modelManifestSchema';
import { encodeClinical } from './clinicalInputs';

/**
 * Checks a series against a model's input contract from its headers alone (no pixel data).
 * Returns null when it fits, else the reason it is out of scope.
 */
export function checkContract(manifest: ModelManifest, headers: readonly NaturalDataset[]): string | null {
  const c = manifest.contract;
  if (headers.length === 0) return 'the series has no instances';
  const first = headers[0];
  const modality = str(first, 'Modality');
  if (!modality || !c.modalities.includes(modality))
    return `modality ${modality ?? '(none)'} is not one of ${c.modalities.join(', ')}`;
  if (c.bodyParts.length > 0) {
    const bp = str(first, 'BodyPartExamined');
    if (!bp || !c.bodyParts.some((b) => b.toUpperCase() === bp.toUpperCase()))
      return `body part ${bp ?? '(none)'} is not one of ${c.bodyParts.join(', ')}`;
  }
  const images = headers.reduce((a, h) => a + (num(h, 'NumberOfFrames') ?? 1), 0);
  if (images < c.minSlices) return `${images} images, the model needs at least ${c.minSlices}`;
  if (c.maxSlices !== undefined && images > c.maxSlices)
    return `${images} images, the model takes at most ${c.maxSlices}`;
  for (const a of c.requiredAttributes)
    if (str(first, a) === null) return `required attribute ${a} is missing`;
  if (manifest.input.clinical) {
    const e = encodeClinical(first, manifest.input.clinical.attributes);
    if ('reason' in e) return e.reason;
  }
  return null;
}
