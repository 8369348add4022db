/** PDU types of PS3.8 9.3.1 (A-ASSOCIATE-RQ 01h ... A-ABORT 07h). */
const KNOWN_PDU_TYPES = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
const P_DATA_TF = 0x04;
const A_ASSOCIATE_RQ = 0x01;

/** Extra bytes tolerated above the negotiated maximum, for peers that count headers in. */
export const PDU_HEADROOM = 16 * 1024;
/** An A-ASSOCIATE-RQ with hundreds of presentation contexts still fits in this. */
export const MAX_ASSOCIATE_RQ_LENGTH = 1024 * 1024;

/** Why a PDU stream was refused. */
export interface PduViolation {
  pduType: number;
  length: number;
  problem: 'unknown-pdu-type' | 'pdu-too-long' | 'malformed-pdu';
  /** What was wrong, in words. */
  detail: string;
}

/** What the parser hands on, in stream order. */
export interface PduParserHandlers {
  /** A whole PDU other than P-DATA-TF, with its variable part (after the 6-byte header). */
  pdu(type: number, body: Buffer): void;
  /**
   * Bytes of one PDV's fragment (PS3.8 9.3.5.1), as they arrive: a view into the received chunk,
   * not a copy, possibly one of several pieces of the same PDV.
   */
  pdvData(contextId: number, isCommand: boolean, data: Buffer): void;
  /** A PDV ended; `isLast` is bit 1 of its message control header (PS3.8 E.2). */
  pdvEnd(contextId: number, isCommand: boolean, isLast: boolean): void;
}

type State = 'pdu-header' | 'pdu-body' | 'pdv-header' | 'pdv-data';

/**
 * Reads the byte stream of an association (PS3.8 9.3.1: type, reserved, 32-bit big-endian
 * length). Every PDU header is checked before any of its body is kept, so a peer can never make
 * the node hold more than one PDU of at most `maxPduLength` + headroom. P-DATA-TF PDUs are not
 * buffered at all: their PDV items (PS3.8 9.3.5.1: 32-bit length, presentation context ID,
 * message control header) are handed on piece by piece as views into the received chunks, so
 * a data set goes from the socket to its file without being copied or reassembled.
 */
export class PduParser {
  private state: State = 'pdu-header';
  private readonly header = Buffer.alloc(6);
  private headerBytes = 0;
  private pduType = 0;
  private pduLength = 0;
  /** Bytes of the current PDU not read yet. */
  private pduLeft = 0;
  /** The variable part of the current PDU other than P-DATA-TF, filled as it arrives. */
  private body: Buffer = Buffer.alloc(0);
  private bodyFilled = 0;
  private pdvLeft = 0;
  private contextId = 0;
  private isCommand = false;
  private isLast = false;
  private stopped = false;

  constructor(
    private readonly maxPduLength: number,
    private readonly handlers: PduParserHandlers,
  ) {}

  /** Nothing more is parsed (the association is being closed). */
  stop(): void {
    this.stopped = true;
  }

  /** Feeds the next bytes; returns the first violation found (then stops), or null. */
  feed(chunk: Buffer): PduViolation | null {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      if (this.state === 'pdu-header' || this.state === 'pdv-header') {
        const want = 6 - this.headerBytes;
        const n = Math.min(want, chunk.length - off);
        chunk.copy(this.header, this.headerBytes, off, off + n);
        this.headerBytes += n;
        off += n;
        if (this.headerBytes < 6) break;
        this.headerBytes = 0;
        const v = this.state === 'pdu-header' ? this.pduHeader() : this.pdvHeader();
        if (v) return this.fail(v);
      } else if (this.state === 'pdu-body') {
        const n = Math.min(this.pduLeft, chunk.length - off);
        // Copied into one buffer of the announced (and already checked) length: a peer sending
        // a byte per segment costs no more memory than one sending the PDU at once.
        chunk.copy(this.body, this.bodyFilled, off, off + n);
        this.bodyFilled += n;
        off += n;
        this.pduLeft -= n;
        if (this.pduLeft === 0) this.bodyDone();
      } else {
        const n = Math.min(this.pdvLeft, chunk.length - off);
        const data = chunk.subarray(off, off + n);
        off += n;
        this.pdvLeft -= n;
        this.handlers.pdvData(this.contextId, this.isCommand, data);
        if (this.pdvLeft === 0) {
          const v = this.pdvDone();
          if (v) return this.fail(v);
        }
      }
    }
    return null;
  }

  private fail(v: PduViolation): PduViolation {
    this.stopped = true;
    return v;
  }

  private pduHeader(): PduViolation | null {
    const type = this.header[0]!;
    const length = this.header.readUInt32BE(2);
    if (!KNOWN_PDU_TYPES.has(type)) {
      return {
        pduType: type,
        length,
        problem: 'unknown-pdu-type',
        detail: `unknown PDU type 0x${hex(type)}`,
      };
    }
    const limit =
      type === A_ASSOCIATE_RQ
        ? Math.max(MAX_ASSOCIATE_RQ_LENGTH, this.maxPduLength)
        : this.maxPduLength + PDU_HEADROOM;
    if (length > limit) {
      return {
        pduType: type,
        length,
        problem: 'pdu-too-long',
        detail: `PDU type 0x${hex(type)} of ${length} bytes exceeds the limit (max PDU length ${this.maxPduLength})`,
      };
    }
    this.pduType = type;
    this.pduLength = length;
    this.pduLeft = length;
    if (type === P_DATA_TF) {
      // PS3.8 9.3.5: one or more PDV items, each at least 6 bytes.
      if (length < 6) return this.malformed(`P-DATA-TF of ${length} bytes holds no PDV item`);
      this.state = 'pdv-header';
      return null;
    }
    this.body = Buffer.allocUnsafe(length);
    this.bodyFilled = 0;
    if (length === 0) this.bodyDone();
    else this.state = 'pdu-body';
    return null;
  }

  private bodyDone(): void {
    const body = this.body;
    this.body = Buffer.alloc(0);
    this.state = 'pdu-header';
    this.handlers.pdu(this.pduType, body);
  }

  private pdvHeader(): PduViolation | null {
    const itemLength = this.header.readUInt32BE(0);
    // PS3.8 9.3.5.1: the item length counts the context ID and the control header (2 bytes).
    if (itemLength < 2 || 4 + itemLength > this.pduLeft) {
      return this.malformed(
        `PDV item of ${itemLength} bytes does not fit the ${this.pduLeft} bytes left of its P-DATA-TF`,
      );
    }
    this.pduLeft -= 4 + itemLength;
    this.contextId = this.header[4]!;
    const control = this.header[5]!;
    this.isCommand = (control & 0x01) !== 0;
    this.isLast = (control & 0x02) !== 0;
    this.pdvLeft = itemLength - 2;
    if (this.pdvLeft > 0) {
      this.state = 'pdv-data';
      return null;
    }
    return this.pdvDone();
  }

  private pdvDone(): PduViolation | null {
    if (this.pduLeft === 0) this.state = 'pdu-header';
    else if (this.pduLeft < 6) {
      return this.malformed(`${this.pduLeft} bytes after the last PDV item of a P-DATA-TF`);
    } else this.state = 'pdv-header';
    this.handlers.pdvEnd(this.contextId, this.isCommand, this.isLast);
    return null;
  }

  private malformed(detail: string): PduViolation {
    return { pduType: this.pduType, length: this.pduLength, problem: 'malformed-pdu', detail };
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
