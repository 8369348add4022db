/** Transfer syntaxes the node accepts and stores as sent (PS3.5 10 and Annex A). */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  MPEG2MainProfile: '1.2.840.10008.1.2.4.100',
  MPEG4HP41: '1.2.840.10008.1.2.4.102',
  HEVCMainProfile: '1.2.840.10008.1.2.4.107',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

export const ACCEPTED_TRANSFER_SYNTAXES: readonly string[] = Object.values(TransferSyntax);

const UNCOMPRESSED = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
]);

/** True when Pixel Data is encapsulated (PS3.5 A.4). */
export function isEncapsulated(ts: string): boolean {
  return !UNCOMPRESSED.has(ts);
}

/** Lossless syntaxes: decoded pixels must be bit-exact. */
export const LOSSLESS_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.JPEGLossless,
  TransferSyntax.JPEGLosslessSV1,
  TransferSyntax.JPEGLSLossless,
  TransferSyntax.JPEG2000Lossless,
  TransferSyntax.HTJ2KLossless,
  TransferSyntax.HTJ2KLosslessRPCL,
  TransferSyntax.RLELossless,
];

/**
 * Chooses the transfer syntax to accept from those proposed for one presentation context, so the
 * instance arrives as the sender holds it: any compressed/other syntax first (in the sender's
 * order), then Explicit VR LE, then Implicit VR LE (PS3.8 9.3.3.2). Null: none acceptable.
 */
export function chooseTransferSyntax(proposed: readonly string[]): string | null {
  const known = proposed.map((t) => t.trim()).filter((t) => ACCEPTED_TRANSFER_SYNTAXES.includes(t));
  const special = known.find(
    (t) => t !== TransferSyntax.ExplicitVRLittleEndian && t !== TransferSyntax.ImplicitVRLittleEndian,
  );
  if (special) return special;
  if (known.includes(TransferSyntax.ExplicitVRLittleEndian)) return TransferSyntax.ExplicitVRLittleEndian;
  if (known.includes(TransferSyntax.ImplicitVRLittleEndian)) return TransferSyntax.ImplicitVRLittleEndian;
  return null;
}
