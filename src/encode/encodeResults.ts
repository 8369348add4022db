import type { EncodedObject, InferenceResult } from '../pipeline/types';
import { validateEncodeContext, type EncodeContext } from './encodeContext';
import type { BuiltObject, ResultWriter, UnderlayReader } from './resultWriter';
import { writeBuiltObjects } from './writeBuiltObjects';
import { loadSourceInstances } from './sourceInstances';
import { createDisplayFrameReader } from './readDisplayFrame';
import { checkWriters, DEFAULT_WRITERS } from './writerRegistry';

/** Optional collaborators of encodeResults (tests and the composition root inject them). */
export interface EncodeDependencies {
  writers?: readonly ResultWriter[];
  readUnderlay?: UnderlayReader;
}

/**
 * Writes every result object that applies to an inference result (SEG, SR, SC, derived series)
 * as Part 10 files in `ctx.outputDir`, in registry order, and describes them. An out-of-scope
 * result gives no object. Every writer builds its datasets first; a NodeError('ENCODE_INVALID')
 * from any of them leaves nothing written.
 */
export async function encodeResults(
  result: InferenceResult,
  ctx: EncodeContext,
  deps: EncodeDependencies = {},
): Promise<EncodedObject[]> {
  validateEncodeContext(ctx);
  if (result.outOfScope) return [];
  const writers = deps.writers ?? DEFAULT_WRITERS;
  checkWriters(writers);
  const applicable = writers.filter((w) => w.applies(result));
  if (applicable.length === 0) return [];
  const sources = await loadSourceInstances(result);
  // every writer builds (and validates) before any byte is written
  const built: BuiltObject[] = [];
  const readUnderlay = deps.readUnderlay ?? createDisplayFrameReader();
  for (const writer of applicable) {
    built.push(...(await writer.build({ result, ctx, sources, built, readUnderlay })));
  }
  return writeBuiltObjects(built, result, ctx);
}
