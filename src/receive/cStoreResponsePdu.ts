/**
 * The P-DATA-TF PDU of a C-STORE-RSP without an Error Comment, encoded by hand: the response
 * to every stored instance is on the acknowledgement path of the sender, and the generic
 * encoder of the DIMSE library costs a few hundred microseconds per response.
 */
import { encodeCStoreRsp } from '../dicom/dimse/commandSet';

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

/** The command set of a C-STORE-RSP (PS3.7 9.3.1.2), Implicit VR Little Endian. */
export function encodeCStoreResponseCommand(f: CStoreResponseFields): Buffer {
  return encodeCStoreRsp({
    messageIdBeingRespondedTo: f.messageIdBeingRespondedTo,
    sopClassUid: f.affectedSopClassUid,
    sopInstanceUid: f.affectedSopInstanceUid,
    status: f.status,
  });
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
