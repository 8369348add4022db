/**
 * Upper Layer PDUs of the DICOM network protocol (PS3.8 9.3), encoded and decoded with Buffers.
 * The SCU side: A-ASSOCIATE-RQ out; A-ASSOCIATE-AC/RJ, P-DATA-TF, A-RELEASE-RP and A-ABORT in;
 * P-DATA-TF, A-RELEASE-RQ and A-ABORT out. The SCP side: A-ASSOCIATE-RQ in; A-ASSOCIATE-AC/RJ,
 * P-DATA-TF, A-RELEASE-RP and A-ABORT out (src/receive reads its P-DATA-TF PDUs as a stream).
 */

/** PS3.8 9.3.1 PDU types. */
export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** PS3.7 A.2.1 DICOM Application Context Name. */
export const APPLICATION_CONTEXT_NAME = '1.2.840.10008.3.1.1.1';

/** One proposed presentation context (PS3.8 9.3.2.2). */
export interface ProposedContext {
  /** Odd, 1..255. */
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AssociateRq {
  calledAeTitle: string;
  callingAeTitle: string;
  contexts: ProposedContext[];
  /** PS3.8 D.1 Maximum Length Received. */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

/** One presentation context of an A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
export interface AcceptedContext {
  id: number;
  /** 0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  result: number;
  transferSyntax: string;
}

export interface AssociateAc {
  contexts: AcceptedContext[];
  /** The peer's Maximum Length Received; 0 means no limit. */
  maxPduLength: number;
}

export interface AssociateRj {
  /** 1 rejected-permanent, 2 rejected-transient (PS3.8 9.3.4). */
  result: number;
  source: number;
  reason: number;
}

/** One Presentation Data Value of a P-DATA-TF (PS3.8 9.3.5.1, E.2). */
export interface Pdv {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Buffer;
}

/** A received PDU: its type and its variable part (after the 6-byte header). */
export interface RawPdu {
  type: number;
  body: Buffer;
}

function aeField(ae: string): Buffer {
  // PS3.8 9.3.2: 16 characters, space padded.
  return Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'ascii');
}

function item(type: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt8(type, 0);
  h.writeUInt16BE(value.length, 2);
  return Buffer.concat([h, value]);
}

function pdu(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

/** The parts an A-ASSOCIATE-RQ and an A-ASSOCIATE-AC share (PS3.8 9.3.2, 9.3.3). */
interface AssociateFields {
  calledAeTitle: string;
  callingAeTitle: string;
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

/**
 * An A-ASSOCIATE-RQ or -AC: protocol version 1, the AE titles, the DICOM application context
 * (10H), the presentation context items, then user information (50H): maximum length (51H,
 * PS3.8 D.1), Implementation Class UID (52H) and Version Name (55H, PS3.7 D.3.3.2).
 */
function encodeAssociate(type: number, f: AssociateFields, contextItems: Buffer[]): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(0x0001, 0); // protocol version
  aeField(f.calledAeTitle).copy(fixed, 4);
  aeField(f.callingAeTitle).copy(fixed, 20);
  const maxLen = Buffer.alloc(4);
  maxLen.writeUInt32BE(f.maxPduLength, 0);
  const userInformation = item(
    0x50,
    Buffer.concat([
      item(0x51, maxLen),
      item(0x52, Buffer.from(f.implementationClassUid, 'ascii')),
      item(0x55, Buffer.from(f.implementationVersionName, 'ascii')),
    ]),
  );
  const applicationContext = item(0x10, Buffer.from(APPLICATION_CONTEXT_NAME, 'ascii'));
  return pdu(type, Buffer.concat([fixed, applicationContext, ...contextItems, userInformation]));
}

/** PS3.8 9.3.2 A-ASSOCIATE-RQ: presentation context items 20H with abstract (30H) and transfer syntaxes (40H). */
export function encodeAssociateRq(rq: AssociateRq): Buffer {
  const contexts = rq.contexts.map((c) => {
    const head = Buffer.alloc(4);
    head.writeUInt8(c.id, 0);
    const subs = [
      item(0x30, Buffer.from(c.abstractSyntax, 'ascii')),
      ...c.transferSyntaxes.map((t) => item(0x40, Buffer.from(t, 'ascii'))),
    ];
    return item(0x20, Buffer.concat([head, ...subs]));
  });
  return encodeAssociate(PduType.AssociateRq, rq, contexts);
}

function uidText(b: Buffer): string {
  return b.toString('ascii').replace(/[\0 ]+$/, '');
}

/** PS3.8 9.3.3 A-ASSOCIATE-AC (the variable part of the PDU). */
export function decodeAssociateAc(body: Buffer): AssociateAc {
  const out: AssociateAc = { contexts: [], maxPduLength: 0 };
  let p = 68;
  while (p + 4 <= body.length) {
    const type = body.readUInt8(p);
    const len = body.readUInt16BE(p + 2);
    const v = body.subarray(p + 4, p + 4 + len);
    p += 4 + len;
    if (type === 0x21) {
      let ts = '';
      let q = 4;
      while (q + 4 <= v.length) {
        const st = v.readUInt8(q);
        const sl = v.readUInt16BE(q + 2);
        if (st === 0x40) ts = uidText(v.subarray(q + 4, q + 4 + sl));
        q += 4 + sl;
      }
      out.contexts.push({ id: v.readUInt8(0), result: v.readUInt8(2), transferSyntax: ts });
    } else if (type === 0x50) {
      let q = 0;
      while (q + 4 <= v.length) {
        const st = v.readUInt8(q);
        const sl = v.readUInt16BE(q + 2);
        if (st === 0x51 && sl === 4) out.maxPduLength = v.readUInt32BE(q + 4);
        q += 4 + sl;
      }
    }
  }
  return out;
}

/** PS3.8 9.3.4 A-ASSOCIATE-RJ. */
export function decodeAssociateRj(body: Buffer): AssociateRj {
  return { result: body.readUInt8(1), source: body.readUInt8(2), reason: body.readUInt8(3) };
}

/** PS3.8 9.3.8 A-ABORT: source and reason. */
export function decodeAbort(body: Buffer): { source: number; reason: number } {
  return { source: body.length > 2 ? body.readUInt8(2) : 0, reason: body.length > 3 ? body.readUInt8(3) : 0 };
}

/** PS3.8 9.3.5 P-DATA-TF with one PDV (message control header per E.2). */
export function encodePDataTf(pdv: Pdv): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt8(PduType.PDataTf, 0);
  h.writeUInt32BE(6 + pdv.data.length, 2);
  h.writeUInt32BE(2 + pdv.data.length, 6);
  h.writeUInt8(pdv.contextId, 10);
  h.writeUInt8((pdv.isCommand ? 0x01 : 0) | (pdv.isLast ? 0x02 : 0), 11);
  return Buffer.concat([h, pdv.data]);
}

/** The PDVs of a P-DATA-TF body. */
export function decodePDataTf(body: Buffer): Pdv[] {
  const out: Pdv[] = [];
  let p = 0;
  while (p + 6 <= body.length) {
    const len = body.readUInt32BE(p);
    const mch = body.readUInt8(p + 5);
    out.push({
      contextId: body.readUInt8(p + 4),
      isCommand: (mch & 1) === 1,
      isLast: (mch & 2) === 2,
      data: body.subarray(p + 6, p + 4 + len),
    });
    p += 4 + len;
  }
  return out;
}

/** PS3.8 9.3.6 A-RELEASE-RQ. */
export function encodeReleaseRq(): Buffer {
  return pdu(PduType.ReleaseRq, Buffer.alloc(4));
}

/**
 * PS3.8 9.3.8 A-ABORT: source 0 service user (the default), 2 service provider; reason
 * (provider only) 0 not specified, 1 unrecognized PDU, 2 unexpected PDU, 4 unrecognized PDU
 * parameter, 5 unexpected PDU parameter, 6 invalid PDU parameter value.
 */
export function encodeAbort(source = 0, reason = 0): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt8(source, 2);
  body.writeUInt8(source === 2 ? reason : 0, 3);
  return pdu(PduType.Abort, body);
}

/** PS3.8 9.3.7 A-RELEASE-RP. */
export function encodeReleaseRp(): Buffer {
  return pdu(PduType.ReleaseRp, Buffer.alloc(4));
}

/** PS3.8 9.3.4 A-ASSOCIATE-RJ. */
export function encodeAssociateRj(rj: AssociateRj): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt8(rj.result, 1);
  body.writeUInt8(rj.source, 2);
  body.writeUInt8(rj.reason, 3);
  return pdu(PduType.AssociateRj, body);
}

/** A received A-ASSOCIATE-RQ (PS3.8 9.3.2), as far as an SCP reads it. */
export interface ReceivedAssociateRq {
  /** Bit 0 must be set (PS3.8 9.3.2, Table 9-11). */
  protocolVersion: number;
  /** Trailing spaces removed. */
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContextName: string;
  contexts: ProposedContext[];
  /** The peer's Maximum Length Received (PS3.8 D.1); 0 means no limit. */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

/** A malformed A-ASSOCIATE-RQ (an item that runs past its parent, a missing field). */
export class MalformedPduError extends Error {
  override readonly name = 'MalformedPduError';
}

/** Calls `visit` for each item of `v` from `start` (PS3.8 9.3.2.x: type, reserved, 16-bit length). */
function forEachItem(
  v: Buffer,
  start: number,
  what: string,
  visit: (type: number, value: Buffer) => void,
): void {
  let p = start;
  while (p < v.length) {
    if (p + 4 > v.length) throw new MalformedPduError(`${what}: an item header is cut short`);
    const type = v.readUInt8(p);
    const len = v.readUInt16BE(p + 2);
    if (p + 4 + len > v.length) {
      throw new MalformedPduError(`${what}: item 0x${type.toString(16)} runs past its end`);
    }
    visit(type, v.subarray(p + 4, p + 4 + len));
    p += 4 + len;
  }
}

/**
 * PS3.8 9.3.2 A-ASSOCIATE-RQ (the variable part of the PDU): application context (10H),
 * presentation contexts (20H, with abstract 30H and transfer syntax 40H sub-items) and user
 * information (50H: maximum length 51H, implementation class UID 52H, version name 55H; other
 * sub-items such as role selection and user identity are skipped). Throws MalformedPduError.
 */
export function decodeAssociateRq(body: Buffer): ReceivedAssociateRq {
  if (body.length < 68) throw new MalformedPduError('A-ASSOCIATE-RQ shorter than its 68 fixed bytes');
  const out: ReceivedAssociateRq = {
    protocolVersion: body.readUInt16BE(0),
    calledAeTitle: body.toString('latin1', 4, 20).trim(),
    callingAeTitle: body.toString('latin1', 20, 36).trim(),
    applicationContextName: '',
    contexts: [],
    maxPduLength: 0,
    implementationClassUid: '',
    implementationVersionName: '',
  };
  forEachItem(body, 68, 'A-ASSOCIATE-RQ', (type, v) => {
    if (type === 0x10) out.applicationContextName = uidText(v);
    else if (type === 0x20) {
      if (v.length < 4) throw new MalformedPduError('presentation context item shorter than 4 bytes');
      const pc: ProposedContext = { id: v.readUInt8(0), abstractSyntax: '', transferSyntaxes: [] };
      forEachItem(v, 4, 'presentation context item', (st, sv) => {
        if (st === 0x30) pc.abstractSyntax = uidText(sv);
        else if (st === 0x40) pc.transferSyntaxes.push(uidText(sv));
      });
      out.contexts.push(pc);
    } else if (type === 0x50) {
      forEachItem(v, 0, 'user information item', (st, sv) => {
        if (st === 0x51 && sv.length === 4) out.maxPduLength = sv.readUInt32BE(0);
        else if (st === 0x52) out.implementationClassUid = uidText(sv);
        else if (st === 0x55) out.implementationVersionName = sv.toString('latin1').trim();
      });
    }
  });
  return out;
}

/** What an SCP answers in its A-ASSOCIATE-AC (PS3.8 9.3.3). */
export interface AssociateAcOut {
  /** Echoed from the A-ASSOCIATE-RQ (PS3.8 9.3.3.1). */
  calledAeTitle: string;
  callingAeTitle: string;
  /** One per proposed context, in the order proposed. */
  contexts: AcceptedContext[];
  /** Our Maximum Length Received (PS3.8 D.1). */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

/** PS3.8 9.3.3 A-ASSOCIATE-AC: presentation context items 21H with their result. */
export function encodeAssociateAc(ac: AssociateAcOut): Buffer {
  const contexts = ac.contexts.map((c) => {
    const head = Buffer.alloc(4);
    head.writeUInt8(c.id, 0);
    head.writeUInt8(c.result, 2);
    // PS3.8 9.3.3.2: one transfer syntax sub-item, not significant unless accepted.
    return item(0x21, Buffer.concat([head, item(0x40, Buffer.from(c.transferSyntax, 'ascii'))]));
  });
  return encodeAssociate(PduType.AssociateAc, ac, contexts);
}

/**
 * A message part (a command set or data set, whole) as P-DATA-TF PDUs of one PDV each
 * (PS3.8 9.3.5, E.2), none longer than the peer's Maximum Length Received (0: no limit).
 */
export function encodeMessagePdus(
  contextId: number,
  isCommand: boolean,
  data: Buffer,
  peerMaxPduLength: number,
): Buffer {
  // PS3.8 D.1: the maximum counts the PDV items (4-byte length + 2 header bytes + fragment).
  const room = peerMaxPduLength > 6 ? peerMaxPduLength - 6 : data.length || 1;
  const pdus: Buffer[] = [];
  for (let p = 0; p < data.length || pdus.length === 0; p += room) {
    const fragment = data.subarray(p, p + room);
    const isLast = p + room >= data.length;
    pdus.push(encodePDataTf({ contextId, isCommand, isLast, data: fragment }));
  }
  return pdus.length === 1 ? pdus[0]! : Buffer.concat(pdus);
}

/**
 * Splits a byte stream into PDUs (6-byte header: type, reserved, 32-bit big-endian length).
 * Rejects PDUs longer than `maxPduBytes` so a broken peer cannot make us buffer without bound.
 */
export class PduReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPduBytes = 64 * 1024 * 1024) {}

  /** Adds bytes; returns every PDU now complete. */
  push(chunk: Buffer): RawPdu[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RawPdu[] = [];
    while (this.buf.length >= 6) {
      const len = this.buf.readUInt32BE(2);
      if (len > this.maxPduBytes)
        throw new Error(`PDU of ${len} bytes exceeds the limit of ${this.maxPduBytes}`);
      if (this.buf.length < 6 + len) break;
      out.push({ type: this.buf.readUInt8(0), body: Buffer.from(this.buf.subarray(6, 6 + len)) });
      this.buf = this.buf.subarray(6 + len);
    }
    return out;
  }
}
