import type { PeerConfig } from '../config/nodeConfigSchema';
import { addressMatches } from './addressMatches';

/** A-ASSOCIATE-RJ parameters (PS3.8 9.3.4, Table 9-21). */
export interface AssociationRejection {
  /** 1 rejected-permanent, 2 rejected-transient. */
  result: 1 | 2;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  source: 1 | 2 | 3;
  /** Meaning depends on the source (PS3.8 9.3.4). */
  reason: number;
  /** Stable name of the reason, for logs and audit. */
  reasonName:
    | 'called-ae-title-not-recognized'
    | 'calling-ae-title-not-recognized'
    | 'local-limit-exceeded'
    | 'protocol-version-not-supported'
    | 'application-context-name-not-supported';
  /** Why, in words (no PHI). */
  detail: string;
}

/** What the policy looks at: the A-ASSOCIATE-RQ and where it came from. */
export interface AssociationRequestFacts {
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
  /** Associations already accepted and still open. */
  activeAssociations: number;
  /** PS3.8 9.3.2 Protocol-version field; bit 0 (version 1) must be set. Unchecked when absent. */
  protocolVersion?: number;
  /** PS3.7 A.2.1; must be the DICOM Application Context Name. Unchecked when absent. */
  applicationContextName?: string;
}

/** PS3.7 A.2.1 DICOM Application Context Name. */
const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** The node's side of the policy. */
export interface AssociationPolicy {
  /** Our AE title and its aliases. */
  aeTitles: readonly string[];
  /** Empty: any peer; otherwise default-deny. */
  allowedPeers: readonly Pick<PeerConfig, 'aeTitle' | 'host'>[];
  maxAssociations: number;
}

/**
 * Decides whether to accept an association request (PRODUCT.md 1): the called AE must be ours,
 * the calling AE (and its address, when the entry names one) must be on the allow-list when there
 * is one, and the number of open associations must be below the limit. Pure; null means accept.
 */
export function evaluateAssociationRequest(
  rq: AssociationRequestFacts,
  policy: AssociationPolicy,
): AssociationRejection | null {
  const called = rq.calledAeTitle.trim();
  const calling = rq.callingAeTitle.trim();
  if (rq.protocolVersion !== undefined && (rq.protocolVersion & 0x0001) === 0) {
    // PS3.8 9.3.4: result 1 rejected-permanent, source 2 service-provider (ACSE), reason 2 protocol-version-not-supported
    return {
      result: 1,
      source: 2,
      reason: 2,
      reasonName: 'protocol-version-not-supported',
      detail: `protocol version 0x${rq.protocolVersion.toString(16)} does not include version 1`,
    };
  }
  if (rq.applicationContextName !== undefined && rq.applicationContextName !== DICOM_APPLICATION_CONTEXT) {
    // PS3.8 9.3.4: result 1 rejected-permanent, source 1 service-user, reason 2 application-context-name-not-supported
    return {
      result: 1,
      source: 1,
      reason: 2,
      reasonName: 'application-context-name-not-supported',
      detail: 'the application context name is not the DICOM one (PS3.7 A.2.1)',
    };
  }
  if (!policy.aeTitles.includes(called)) {
    // PS3.8 9.3.4: result 1 rejected-permanent, source 1 service-user, reason 7 called-AE-title-not-recognized
    return {
      result: 1,
      source: 1,
      reason: 7,
      reasonName: 'called-ae-title-not-recognized',
      detail: `called AE title "${called}" is not one of ours`,
    };
  }
  if (policy.allowedPeers.length > 0) {
    const byTitle = policy.allowedPeers.filter((p) => p.aeTitle === calling);
    const allowed = byTitle.some((p) => !p.host || addressMatches(rq.peerAddress, p.host));
    if (!allowed) {
      // PS3.8 9.3.4: result 1 rejected-permanent, source 1 service-user, reason 3 calling-AE-title-not-recognized
      return {
        result: 1,
        source: 1,
        reason: 3,
        reasonName: 'calling-ae-title-not-recognized',
        detail:
          byTitle.length === 0
            ? `calling AE title "${calling}" is not on the allow-list`
            : `calling AE title "${calling}" is not allowed from ${rq.peerAddress}`,
      };
    }
  }
  if (rq.activeAssociations >= policy.maxAssociations) {
    // PS3.8 9.3.4: result 2 rejected-transient, source 3 service-provider (presentation), reason 2 local-limit-exceeded
    return {
      result: 2,
      source: 3,
      reason: 2,
      reasonName: 'local-limit-exceeded',
      detail: `${rq.activeAssociations} associations are open (dimse.maxAssociations ${policy.maxAssociations})`,
    };
  }
  return null;
}
