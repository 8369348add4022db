import { Dataset, requests, responses } from 'dcmjs-dimse';
import { encodeCStoreResponseCommand, encodeCStoreResponsePdu } from '../../../src/receive/cStoreResponsePdu';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** The command set the DIMSE library encodes for the same success response. */
function libraryCommand(sopClassUid: string, sopInstanceUid: string, messageId: number): Buffer {
  const request = new requests.CStoreRequest(
    new Dataset({ SOPClassUID: sopClassUid, SOPInstanceUID: sopInstanceUid }, '1.2.840.10008.1.2.1'),
  );
  request.setMessageId(messageId);
  const response = responses.CStoreResponse.fromRequest(request);
  response.setStatus(0x0000);
  return (
    response.getCommandDataset() as unknown as { getDenaturalizedCommandDataset(): Buffer }
  ).getDenaturalizedCommandDataset();
}

describe('C-STORE-RSP encoded by hand (PS3.7 9.3.1.2)', () => {
  test.each([
    ['odd-length UIDs', '1.2.3.4.5', 7],
    ['even-length UIDs', '1.2.3.4.56', 65535],
    ['a long instance UID', `2.25.${'1'.repeat(59)}`, 1],
  ])('the same command set bytes as the DIMSE library: %s', (_name, sopInstanceUid, messageId) => {
    const ours = encodeCStoreResponseCommand({
      presentationContextId: 1,
      messageIdBeingRespondedTo: messageId,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: sopInstanceUid,
      status: 0x0000,
    });
    expect(ours.toString('hex')).toBe(
      libraryCommand(CT_IMAGE_STORAGE, sopInstanceUid, messageId).toString('hex'),
    );
  });

  test('one P-DATA-TF PDU with one PDV: the last fragment of a command (PS3.8 9.3.5, E.2)', () => {
    const f = {
      presentationContextId: 5,
      messageIdBeingRespondedTo: 3,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: '1.2.3',
      status: 0x0000,
    };
    const command = encodeCStoreResponseCommand(f);
    const pdu = encodeCStoreResponsePdu(f);
    expect(pdu.readUInt8(0)).toBe(0x04);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt32BE(6)).toBe(command.length + 2);
    expect(pdu.readUInt8(10)).toBe(5);
    expect(pdu.readUInt8(11)).toBe(0x03);
    expect(pdu.subarray(12).equals(command)).toBe(true);
  });
});
