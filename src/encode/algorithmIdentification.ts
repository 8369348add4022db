import type { InferenceResult } from '../pipeline/types';
import { Codes } from './codes';
import { codeItem, textItem, type ContentItem } from './srContentItems';

/** `key=value` lines of the algorithm parameters actually used (thresholds...), sorted by key. */
export function algorithmParameterLines(result: InferenceResult): string[] {
  return Object.keys(result.algorithmParameters)
    .sort()
    .map((k) => `${k}=${result.algorithmParameters[k]}`);
}

/** PS3.16 TID 4019 Algorithm Identification: name, version, parameters (1-n), family AI. */
export function algorithmIdentification(result: InferenceResult): ContentItem[] {
  return [
    textItem('HAS CONCEPT MOD', Codes.algorithmName, result.modelName),
    textItem('HAS CONCEPT MOD', Codes.algorithmVersion, result.modelVersion),
    ...algorithmParameterLines(result).map((p) => textItem('HAS CONCEPT MOD', Codes.algorithmParameters, p)),
    codeItem('HAS CONCEPT MOD', Codes.algorithmFamily, Codes.artificialIntelligence),
  ];
}
