/**
 * The P-DATA-TF PDU of a C-STORE-RSP without an Error Comment, encoded by hand: the response
 * to every stored instance is on the acknowledgement path of the sender, and the generic
 * encoder of the DIMSE library costs a few hundred microseconds per response.
 */

/** PS3.7 E.1: C-STORE-RSP Command Field. */
const C_STORE_RSP = 0x8001;
/** PS3.7 E.1: Command Data Set Type "no data set". */
const NO_DATA_SET = 0x0101;
/** PS3.8 9.3.1: P-DATA-TF PDU type. */
const P_DATA_TF = 0x04;
/** PS3.8 E.2 message control header: command, last fragment. */
const COMMAND_LAST_FRAGMENT = 0x03;

/** What the response carries (PS3.7 9.3.1.2 C-STORE-RSP). */
export interface CStoreResponseFields {
  presentationContextId: number;
  messageIdBeingRespondedTo: number;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
  status: number;
}

/** A UI value padded to even length with a NUL (PS3.5 6.2). */
function ui(value: string): Buffer {
  const s = value.trim();
  return Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
}

/** One Implicit VR Little Endian element of group 0000 (PS3.5 7.1.3; PS3.7 6.3.1). */
function element(elementNumber: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0000, 0);
  head.writeUInt16LE(elementNumber, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
}

/**
 * The command set of a C-STORE-RSP (PS3.7 9.3.1.2): Implicit VR Little Endian, elements in tag
 * order, (0000,0000) Command Group Length first.
 */
export function encodeCStoreResponseCommand(f: CStoreResponseFields): Buffer {
  const body = Buffer.concat([
    element(0x0002, ui(f.affectedSopClassUid)),
    element(0x0100, us(C_STORE_RSP)),
    element(0x0120, us(f.messageIdBeingRespondedTo)),
    element(0x0800, us(NO_DATA_SET)),
    element(0x0900, us(f.status)),
    element(0x1000, ui(f.affectedSopInstanceUid)),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(0x0000, groupLength), body]);
}

/**
 * The whole PDU (PS3.8 9.3.5): one PDV item (PS3.8 9.3.5.1) holding the command set as its
 * last (and only) command fragment, as the DIMSE library sends every command set.
 */
export function encodeCStoreResponsePdu(f: CStoreResponseFields): Buffer {
  const command = encodeCStoreResponseCommand(f);
  const pdu = Buffer.alloc(12);
  pdu.writeUInt8(P_DATA_TF, 0);
  pdu.writeUInt8(0, 1);
  pdu.writeUInt32BE(4 + 2 + command.length, 2);
  pdu.writeUInt32BE(2 + command.length, 6);
  pdu.writeUInt8(f.presentationContextId, 10);
  pdu.writeUInt8(COMMAND_LAST_FRAGMENT, 11);
  return Buffer.concat([pdu, command]);
}
