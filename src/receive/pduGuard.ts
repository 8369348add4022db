/** PDU types of PS3.8 9.3.1 (A-ASSOCIATE-RQ 01h ... A-ABORT 07h). */
const KNOWN_PDU_TYPES = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);

/** Extra bytes tolerated above the negotiated maximum, for peers that count headers in. */
export const PDU_HEADROOM = 16 * 1024;
/** An A-ASSOCIATE-RQ with hundreds of presentation contexts still fits in this. */
export const MAX_ASSOCIATE_RQ_LENGTH = 1024 * 1024;

/** Why a PDU stream was refused. */
export interface PduViolation {
  pduType: number;
  length: number;
  problem: 'unknown-pdu-type' | 'pdu-too-long';
}

/**
 * Watches the raw bytes of an association and finds PDU headers (PS3.8 9.3.1: type, reserved,
 * 32-bit big-endian length) before the DICOM library buffers them, so a peer can never make the
 * node hold more than one PDU of at most `maxPduLength` + headroom in memory.
 */
export class PduGuard {
  private readonly header = Buffer.alloc(6);
  private headerBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPduLength: number) {}

  /** Feeds the next bytes; returns the first violation found, or null. */
  feed(chunk: Buffer): PduViolation | null {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= n;
        offset += n;
        continue;
      }
      const n = Math.min(6 - this.headerBytes, chunk.length - offset);
      chunk.copy(this.header, this.headerBytes, offset, offset + n);
      this.headerBytes += n;
      offset += n;
      if (this.headerBytes < 6) break;
      this.headerBytes = 0;
      const pduType = this.header[0]!;
      const length = this.header.readUInt32BE(2);
      if (!KNOWN_PDU_TYPES.has(pduType)) return { pduType, length, problem: 'unknown-pdu-type' };
      const limit =
        pduType === 0x01
          ? Math.max(MAX_ASSOCIATE_RQ_LENGTH, this.maxPduLength)
          : this.maxPduLength + PDU_HEADROOM;
      if (length > limit) return { pduType, length, problem: 'pdu-too-long' };
      this.remaining = length;
    }
    return null;
  }
}
