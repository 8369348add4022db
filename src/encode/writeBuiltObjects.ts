import type { EncodedObject, InferenceResult } from '../pipeline/types';
import { encodedObject } from './encodedObject';
import type { EncodeContext } from './encodeContext';
import type { BuiltObject } from './resultWriter';
import { writePart10 } from './writePart10';

/** Writes prepared datasets as Part 10 files in `ctx.outputDir` and describes them. */
export async function writeBuiltObjects(
  built: readonly BuiltObject[],
  result: InferenceResult,
  ctx: EncodeContext,
): Promise<EncodedObject[]> {
  const out: EncodedObject[] = [];
  for (const b of built) {
    const filePath = await writePart10(b.dataset, ctx.outputDir);
    out.push(encodedObject(b.kind, b.dataset, filePath, result));
  }
  return out;
}
