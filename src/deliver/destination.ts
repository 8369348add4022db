import type { DestinationConfig } from '../config/nodeConfigSchema';
import type { DeliveryStatusClass } from '../pipeline/types';

/** One object to send, as the outbox row holds it. */
export interface OutboxItem {
  id: number;
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  filePath: string;
}

/** The truthful per-object result of an attempt. */
export interface SendResult {
  statusClass: DeliveryStatusClass;
  /** DIMSE status, STOW-RS FailureReason or HTTP status; null when the peer gave none. */
  status: number | null;
  retryable: boolean;
  message: string;
}

/** A configured place results go (PRODUCT.md 6). */
export interface Destination {
  /** The destination's name in node.yaml. */
  readonly name: string;
  /** Sends a batch; resolves with one result per item, in order. Never rejects for a peer's answer. */
  send(items: readonly OutboxItem[]): Promise<SendResult[]>;
}

/** What a destination factory gets besides its URL. */
export interface DestinationContext {
  name: string;
  config: DestinationConfig;
  /** Our AE title, for DIMSE destinations without their own callingAeTitle. */
  callingAeTitle: string;
}

/** Builds a destination from its parsed URL; throws ConfigError for a malformed URL. */
export type DestinationFactory = (url: URL, ctx: DestinationContext) => Destination;

/** Checks a URL of this scheme without building anything; returns problems (empty: fine). */
export type DestinationUrlCheck = (url: URL) => string[];
