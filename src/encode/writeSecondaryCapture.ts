import type { EncodedObject } from '../pipeline/types';
import type { WriterInput } from './resultWriter';

/** Placeholder while the renderer is written. */
export async function writeSecondaryCapture(_input: WriterInput): Promise<EncodedObject[]> {
  return [];
}
