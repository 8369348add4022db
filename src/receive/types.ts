import type { Writable } from 'node:stream';
import type { InstanceSource, PeerInfo, ReceivedInstance } from '../pipeline/types';

/**
 * What the SCP needs from the store (declared here, implemented by src/store's InstanceStore and
 * wired in src/app.ts; STYLE.md 2).
 */
export interface InstanceSink {
  /** A Writable for one C-STORE dataset and the promise of its durable instance. */
  storeStream(o: {
    sopClassUid: string;
    sopInstanceUid: string;
    transferSyntaxUid: string;
    peer: PeerInfo;
    source: InstanceSource;
    onLimitExceeded?: (e: Error) => void;
  }): { stream: Writable; result: Promise<ReceivedInstance>; cancel(): void };
}

/** What the SCP tells the assembler (src/assemble's SeriesAssembler, wired in src/app.ts). */
export interface SeriesEvents {
  /** After each durable instance (its index row is committed). */
  instanceStored(i: ReceivedInstance): void;
  /** At release, abort or close of an accepted association. */
  associationEnded(associationId: string): void;
}

/** The limits a peer controls, from config.dimse (PRODUCT.md 1). */
export interface DimseLimits {
  /** Maximum PDU length we advertise and accept (PS3.8 D.1). */
  maxPduLength: number;
  /** Largest data set one message may carry (the store enforces it for C-STORE). */
  maxMessageBytes: number;
  maxAssociations: number;
  /** Milliseconds without a PDU before an association is aborted. */
  idleTimeoutMs: number;
  /** Milliseconds a new connection has to send its A-ASSOCIATE-RQ. */
  associationTimeoutMs: number;
}
