import { DatasetInvalidError, OutOfResourcesError } from '../pipeline/errors';

/** A C-STORE response status and its Error Comment (PS3.7 C.4.2.1.5, PS3.4 B.2.3). */
export interface CStoreAnswer {
  status: number;
  /** Error Comment (0000,0902) is LO: at most 64 characters. */
  errorComment: string;
}

/** PS3.4 B.2.3 Storage status codes the SCP answers with. */
export const CStoreStatus = {
  Success: 0x0000,
  /** Refused: Out of Resources (A7xx). */
  OutOfResources: 0xa700,
  /** Error: Cannot understand (Cxxx). */
  CannotUnderstand: 0xc000,
  /** PS3.7 C.5: Processing failure. */
  ProcessingFailure: 0x0110,
} as const;

/** The edge translation of the store's typed errors into a C-STORE status (STYLE.md 7). */
export function cStoreStatusFor(e: unknown): CStoreAnswer {
  const comment = ((e as Error)?.message ?? String(e)).replace(/[\\\r\n]/g, ' ').slice(0, 64);
  if (e instanceof OutOfResourcesError) return { status: CStoreStatus.OutOfResources, errorComment: comment };
  if (e instanceof DatasetInvalidError)
    return { status: CStoreStatus.CannotUnderstand, errorComment: comment };
  return { status: CStoreStatus.ProcessingFailure, errorComment: comment };
}
