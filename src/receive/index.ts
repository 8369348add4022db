/** The receive stage: the DIMSE C-ECHO / C-STORE SCP with its association policy and limits. */
export { DimseServer, type DimseServerOptions } from './dimseServer';
export type { InstanceSink, SeriesEvents, DimseLimits } from './types';
export {
  evaluateAssociationRequest,
  type AssociationRejection,
  type AssociationPolicy,
} from './associationPolicy';
export {
  negotiatePresentationContexts,
  ContextResult,
  type ContextDecision,
  type ProposedContext,
} from './negotiatePresentationContexts';
export { PduParser, type PduViolation, type PduParserHandlers } from './pduParser';
export { addressMatches } from './addressMatches';
export { cStoreStatusFor, CStoreStatus } from './cStoreStatusFor';
