export { AuditLog, verifyAuditChain, canonicalJson, GENESIS_HASH } from './auditLog';
export type { AuditRow, ChainVerification } from './auditLog';
