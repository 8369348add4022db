/**
 * DIMSE command sets (PS3.7 6.3, 9.3.1 C-STORE), always Implicit VR Little Endian (PS3.7 6.3.1).
 */

/** PS3.7 E.1 Command Field values used here. */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;

/** PS3.7 E.1 Command Data Set Type (0000,0800): any other value means a data set follows. */
export const NO_DATA_SET = 0x0101;

function element(tag: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0x0000, 0);
  h.writeUInt16LE(tag, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}

function us(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return b;
}

function ui(uid: string): Buffer {
  // PS3.5 9.1: UI values are padded to even length with a trailing NUL.
  return Buffer.from(uid.length % 2 === 1 ? `${uid}\0` : uid, 'ascii');
}

/** A command set: (0000,0000) Command Group Length, then the elements (PS3.7 6.3.1, E.1). */
function withGroupLength(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(0x0000, len), body]);
}

/** PS3.7 9.3.1.1 C-STORE-RQ command set, with (0000,0000) Command Group Length first. */
export function encodeCStoreRq(opts: {
  messageId: number;
  sopClassUid: string;
  sopInstanceUid: string;
  priority?: number;
}): Buffer {
  const body = Buffer.concat([
    element(0x0002, ui(opts.sopClassUid)), // Affected SOP Class UID
    element(0x0100, us(CommandField.CStoreRq)),
    element(0x0110, us(opts.messageId)),
    element(0x0700, us(opts.priority ?? 0)), // 0 = MEDIUM
    element(0x0800, us(0x0000)), // Command Data Set Type: a data set follows
    element(0x1000, ui(opts.sopInstanceUid)), // Affected SOP Instance UID
  ]);
  return withGroupLength(body);
}

/** The fields of a received command set that an SCU or the SCP reads. */
export interface DecodedCommand {
  /** -1 when absent. */
  commandField: number;
  /** (0000,0110); null when absent (a response). */
  messageId: number | null;
  messageIdBeingRespondedTo: number | null;
  /** (0000,0800); null when absent. */
  commandDataSetType: number | null;
  status: number | null;
  errorComment: string;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
}

/** Reads an Implicit VR LE command set (group 0000 only). */
export function decodeCommand(buf: Buffer): DecodedCommand {
  const out: DecodedCommand = {
    commandField: -1,
    messageId: null,
    messageIdBeingRespondedTo: null,
    commandDataSetType: null,
    status: null,
    errorComment: '',
    affectedSopClassUid: '',
    affectedSopInstanceUid: '',
  };
  let p = 0;
  while (p + 8 <= buf.length) {
    const group = buf.readUInt16LE(p);
    const el = buf.readUInt16LE(p + 2);
    const len = buf.readUInt32LE(p + 4);
    if (p + 8 + len > buf.length) break; // a value cut short ends the command set
    const v = buf.subarray(p + 8, p + 8 + len);
    p += 8 + len;
    if (group !== 0x0000) continue;
    if (el === 0x0100 && len >= 2) out.commandField = v.readUInt16LE(0);
    else if (el === 0x0110 && len >= 2) out.messageId = v.readUInt16LE(0);
    else if (el === 0x0120 && len >= 2) out.messageIdBeingRespondedTo = v.readUInt16LE(0);
    else if (el === 0x0800 && len >= 2) out.commandDataSetType = v.readUInt16LE(0);
    else if (el === 0x0002) out.affectedSopClassUid = v.toString('ascii').replace(/[\0 ]+$/, '');
    else if (el === 0x0900 && len >= 2) out.status = v.readUInt16LE(0);
    else if (el === 0x0902) out.errorComment = v.toString('latin1').replace(/[\0 ]+$/, '');
    else if (el === 0x1000) out.affectedSopInstanceUid = v.toString('ascii').replace(/[\0 ]+$/, '');
  }
  return out;
}

/**
 * A response command set without a data set (PS3.7 9.3 and 10.3: C-ECHO-RSP, C-STORE-RSP, and
 * the failure answer to any request the node does not serve), group length first. The Error
 * Comment (0000,0902) is LO: cut to 64 characters (PS3.5 6.2).
 */
export function encodeResponse(opts: {
  commandField: number;
  messageIdBeingRespondedTo: number;
  status: number;
  affectedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  errorComment?: string;
}): Buffer {
  const parts: Buffer[] = [];
  if (opts.affectedSopClassUid) parts.push(element(0x0002, ui(opts.affectedSopClassUid.trim())));
  parts.push(
    element(0x0100, us(opts.commandField)),
    element(0x0120, us(opts.messageIdBeingRespondedTo)),
    element(0x0800, us(NO_DATA_SET)),
    element(0x0900, us(opts.status)),
  );
  if (opts.errorComment) {
    const text = opts.errorComment.replace(/[^\x20-\x7e]/g, ' ').slice(0, 64);
    parts.push(element(0x0902, Buffer.from(text.length % 2 ? `${text} ` : text, 'latin1')));
  }
  if (opts.affectedSopInstanceUid) parts.push(element(0x1000, ui(opts.affectedSopInstanceUid.trim())));
  const body = Buffer.concat(parts);
  return withGroupLength(body);
}
