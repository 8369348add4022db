import { SopClass, isStorageSopClass } from '../dicom/sopClass';
import { chooseTransferSyntax } from '../dicom/transferSyntax';

/** A proposed presentation context (PS3.8 9.3.2.2). */
export interface ProposedContext {
  id: number;
  abstractSyntaxUid: string;
  transferSyntaxUids: readonly string[];
}

/** Presentation context results (PS3.8 9.3.3.2, Table 9-18). */
export const ContextResult = {
  Acceptance: 0,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** The answer for one presentation context. */
export interface ContextDecision {
  id: number;
  abstractSyntaxUid: string;
  result: (typeof ContextResult)[keyof typeof ContextResult];
  /** The accepted transfer syntax (acceptance only). */
  transferSyntaxUid?: string;
}

/**
 * SCP roles of the node: Verification (PS3.4 A.4) and every Storage SOP Class (PS3.4 B.5).
 * Each storage context accepts the transfer syntax chosen by chooseTransferSyntax so the
 * instance is stored as sent; anything else is rejected with the matching result.
 */
export function negotiatePresentationContexts(proposed: readonly ProposedContext[]): ContextDecision[] {
  return proposed.map((pc) => {
    const abstract = pc.abstractSyntaxUid.trim();
    const supported = abstract === SopClass.Verification || isStorageSopClass(abstract);
    if (!supported) {
      return { id: pc.id, abstractSyntaxUid: abstract, result: ContextResult.AbstractSyntaxNotSupported };
    }
    const ts = chooseTransferSyntax(pc.transferSyntaxUids);
    if (!ts)
      return { id: pc.id, abstractSyntaxUid: abstract, result: ContextResult.TransferSyntaxesNotSupported };
    return {
      id: pc.id,
      abstractSyntaxUid: abstract,
      result: ContextResult.Acceptance,
      transferSyntaxUid: ts,
    };
  });
}
