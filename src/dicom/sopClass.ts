/** SOP classes (PS3.4 Annex B storage, A.4 verification). */
export const SopClass = {
  Verification: '1.2.840.10008.1.1',
  SecondaryCaptureImage: '1.2.840.10008.5.1.4.1.1.7',
  MultiFrameTrueColorSecondaryCaptureImage: '1.2.840.10008.5.1.4.1.1.7.4',
  CTImage: '1.2.840.10008.5.1.4.1.1.2',
  MRImage: '1.2.840.10008.5.1.4.1.1.4',
  ComputedRadiographyImage: '1.2.840.10008.5.1.4.1.1.1',
  DigitalXRayImageForPresentation: '1.2.840.10008.5.1.4.1.1.1.1',
  NuclearMedicineImage: '1.2.840.10008.5.1.4.1.1.20',
  Segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
  ComprehensiveSR: '1.2.840.10008.5.1.4.1.1.88.33',
  Comprehensive3DSR: '1.2.840.10008.5.1.4.1.1.88.34',
  EnhancedSR: '1.2.840.10008.5.1.4.1.1.88.22',
  BasicTextSR: '1.2.840.10008.5.1.4.1.1.88.11',
} as const;

const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';
const STANDARD_ROOT = '1.2.840.10008.';

/**
 * True for an abstract syntax the node stores: every standard Storage SOP Class (PS3.4 B.5,
 * under 1.2.840.10008.5.1.4.1.1) and every private SOP class (a vendor's own storage class).
 * Other standard services (query/retrieve, worklist, print...) are not storage.
 */
export function isStorageSopClass(uid: string): boolean {
  const u = uid.trim();
  if (u.startsWith(STORAGE_ROOT)) return true;
  return !u.startsWith(STANDARD_ROOT) && /^[0-9.]+$/.test(u) && u.length <= 64;
}
