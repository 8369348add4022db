import { deriveUid } from '../dicom';
import type { InferenceResult } from '../pipeline/types';
import type { EncodeContext } from './encodeContext';

/** The object types that get their own series: one per type and model run. */
export type ResultObjectType = 'SR' | 'SEG' | 'SC' | 'DERIVED';

/**
 * UIDs of one result object, derived deterministically from (source series UID, model id, model
 * version, rules version, object type[, index]) so a re-run replaces rather than duplicates
 * (PRODUCT.md 5). `extra` parts distinguish objects that must differ (a superseding SR).
 */
export function resultSeriesUid(result: InferenceResult, ctx: EncodeContext, type: ResultObjectType): string {
  return deriveUid(
    result.seriesInstanceUid,
    result.modelId,
    result.modelVersion,
    ctx.rulesVersion,
    type,
    'series',
  );
}

/** SOP Instance UID of the `index`-th object (0-based) of a type. */
export function resultInstanceUid(
  result: InferenceResult,
  ctx: EncodeContext,
  type: ResultObjectType,
  index = 0,
  ...extra: string[]
): string {
  return deriveUid(
    result.seriesInstanceUid,
    result.modelId,
    result.modelVersion,
    ctx.rulesVersion,
    type,
    'instance',
    String(index),
    ...extra,
  );
}

/** Any other UID tied to the run (tracking UIDs, dimension organization), from a purpose and parts. */
export function resultUid(
  result: InferenceResult,
  ctx: EncodeContext,
  purpose: string,
  ...parts: string[]
): string {
  return deriveUid(
    result.seriesInstanceUid,
    result.modelId,
    result.modelVersion,
    ctx.rulesVersion,
    purpose,
    ...parts,
  );
}

/** Tracking UID of a segment: shared by the SEG segment (TrackingUID) and its SR TID 1411 group. */
export function segmentTrackingUid(
  result: InferenceResult,
  ctx: EncodeContext,
  segmentNumber: number,
): string {
  return resultUid(result, ctx, 'tracking', 'segment', String(segmentNumber));
}
