import type { EncodedObject } from '../pipeline/types';
import type { WriterInput } from './resultWriter';

/** Placeholder. */
export async function writeDerivedSeries(_input: WriterInput): Promise<EncodedObject[]> {
  return [];
}
