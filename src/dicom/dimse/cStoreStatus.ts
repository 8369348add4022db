/**
 * C-STORE response status classification, table-driven (PS3.7 C.4.2.1.5 and Annex C status
 * types; PS3.4 B.2.3 Storage Service Class statuses).
 */
export type CStoreStatusClass = 'success' | 'warning' | 'failure';

/** What a C-STORE status means for delivery. */
export interface CStoreStatusInfo {
  statusClass: CStoreStatusClass;
  /** True when sending the same object again later may succeed. */
  retryable: boolean;
  /** The standard's name for the status. */
  meaning: string;
}

interface StatusRule {
  /** Status & mask === value. */
  mask: number;
  value: number;
  info: CStoreStatusInfo;
}

const rule = (
  mask: number,
  value: number,
  statusClass: CStoreStatusClass,
  retryable: boolean,
  meaning: string,
): StatusRule => ({
  mask,
  value,
  info: { statusClass, retryable, meaning },
});

/** First match wins: exact codes before ranges. */
const RULES: readonly StatusRule[] = [
  // PS3.7 C.4.2.1.5 / PS3.4 B.2.3
  rule(0xffff, 0x0000, 'success', false, 'Success'),
  rule(0xffff, 0xb000, 'warning', false, 'Coercion of data elements'),
  rule(0xffff, 0xb007, 'warning', false, 'Data set does not match SOP class'),
  rule(0xffff, 0xb006, 'warning', false, 'Elements discarded'),
  // PS3.7 Annex C.5 general statuses
  rule(0xffff, 0x0107, 'warning', false, 'Attribute list error'),
  rule(0xffff, 0x0116, 'warning', false, 'Attribute value out of range'),
  rule(0xffff, 0x0001, 'warning', false, 'Requested optional attributes are not supported'),
  rule(0xffff, 0x0122, 'failure', false, 'Refused: SOP class not supported'),
  rule(0xffff, 0x0124, 'failure', false, 'Refused: not authorized'),
  rule(0xffff, 0x0210, 'failure', true, 'Duplicate invocation'),
  rule(0xffff, 0x0211, 'failure', false, 'Unrecognized operation'),
  rule(0xffff, 0x0212, 'failure', false, 'Mistyped argument'),
  rule(0xffff, 0x0213, 'failure', true, 'Resource limitation'),
  rule(0xffff, 0x0117, 'failure', false, 'Invalid object instance'),
  rule(0xffff, 0x0110, 'failure', true, 'Processing failure'),
  rule(0xffff, 0x0111, 'failure', false, 'Duplicate SOP instance'),
  rule(0xffff, 0x0118, 'failure', false, 'No such SOP class'),
  rule(0xffff, 0x0119, 'failure', false, 'Class-instance conflict'),
  rule(0xffff, 0x0120, 'failure', false, 'Missing attribute'),
  rule(0xffff, 0x0121, 'failure', false, 'Missing attribute value'),
  rule(0xffff, 0x0106, 'failure', false, 'Invalid attribute value'),
  rule(0xffff, 0xfe00, 'failure', false, 'Cancel'),
  // Ranges: A7xx out of resources, A9xx data set does not match SOP class, Cxxx cannot understand.
  rule(0xff00, 0xa700, 'failure', true, 'Refused: out of resources'),
  rule(0xff00, 0xa900, 'failure', false, 'Error: data set does not match SOP class'),
  rule(0xf000, 0xc000, 'failure', false, 'Error: cannot understand'),
  rule(0xf000, 0xb000, 'warning', false, 'Warning'),
];

/**
 * Classifies a C-STORE response status (PS3.7 C.4.2.1.5). Unknown codes are failures and are
 * retried (a peer-specific status may be transient); retryable is false for every status that
 * names a permanent problem with the object or the SOP class.
 */
export function classifyCStoreStatus(status: number): CStoreStatusInfo {
  for (const r of RULES) if ((status & r.mask) === r.value) return r.info;
  return { statusClass: 'failure', retryable: true, meaning: `Unknown status 0x${formatStatus(status)}` };
}

/** A status as four upper-case hex digits, e.g. `A700`. */
export function formatStatus(status: number): string {
  return (status & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}
