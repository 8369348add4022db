import crypto from 'node:crypto';

/**
 * UIDs under the 2.25 root (PS3.5 B.2: a UUID as a single decimal integer), so no registered
 * root is needed.
 */

/** A fresh random UID: 2.25.<UUID as decimal>. */
export function generateUid(): string {
  return `2.25.${BigInt(`0x${crypto.randomUUID().replace(/-/g, '')}`).toString(10)}`;
}

/**
 * A UID derived from its parts: the same parts always give the same UID (re-runs replace
 * rather than duplicate, PRODUCT.md 5). 122 bits of SHA-256, as a version-8-like UUID integer.
 */
export function deriveUid(...parts: string[]): string {
  const h = crypto.createHash('sha256').update(parts.join('\u0000')).digest();
  const bytes = Buffer.from(h.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8 (custom)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}

/** PS3.5 9.1: components of digits and dots, no leading zero in a component, at most 64 chars. */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(uid);
}

/** The Implementation Class UID of this node (PS3.7 D.3.3.2). */
export const IMPLEMENTATION_CLASS_UID = deriveUid('pacs-ai-node', 'implementation');
/** Implementation Version Name: SH, at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = 'PACSAINODE_0_1';
