/**
 * When an expected instance count can be trusted to complete a series (PRODUCT.md 2).
 *
 * Images in Acquisition (0020,1002, PS3.3 C.7.6.1) is often wrong in practice: several
 * real series carry 1 in every slice. So a count of 1 is believed only for projection
 * radiography, where a series is one image; a count above 1 is believed for any modality.
 */
const SINGLE_IMAGE_MODALITIES = new Set(['CR', 'DX', 'IO', 'PX', 'RG']);

/**
 * Enhanced multi-frame SOP classes, where one instance carries the whole acquisition
 * (PS3.3 A.36 Enhanced MR, A.38 Enhanced CT, A.56 Enhanced PET, A.66 Enhanced XA...).
 */
const ENHANCED_MULTIFRAME = new Set([
  '1.2.840.10008.5.1.4.1.1.2.1', // Enhanced CT
  '1.2.840.10008.5.1.4.1.1.4.1', // Enhanced MR
  '1.2.840.10008.5.1.4.1.1.4.3', // Enhanced MR Color
  '1.2.840.10008.5.1.4.1.1.130', // Enhanced PET
  '1.2.840.10008.5.1.4.1.1.12.1.1', // Enhanced XA
  '1.2.840.10008.5.1.4.1.1.12.2.1', // Enhanced XRF
  '1.2.840.10008.5.1.4.1.1.6.2', // Enhanced US Volume
]);

export interface ExpectedCountInput {
  modality: string;
  sopClassUid: string;
  expectedCount: number | null;
  numberOfFrames: number;
}

/** The number of instances that completes the series, or null when no signal can be trusted. */
export function trustedExpectedCount(i: ExpectedCountInput): number | null {
  if (ENHANCED_MULTIFRAME.has(i.sopClassUid) && i.numberOfFrames > 1) return 1;
  if (i.expectedCount === null || !Number.isInteger(i.expectedCount) || i.expectedCount < 1) return null;
  if (i.expectedCount > 1) return i.expectedCount;
  return SINGLE_IMAGE_MODALITIES.has(i.modality.toUpperCase()) ? 1 : null;
}
