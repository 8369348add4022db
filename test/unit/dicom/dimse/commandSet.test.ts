import { Dataset, requests, responses } from 'dcmjs-dimse';
import {
  CommandField,
  decodeCommand,
  encodeCStoreRq,
  encodeResponse,
} from '../../../../src/dicom/dimse/commandSet';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const VERIFICATION = '1.2.840.10008.1.1';

/** The command set dcmjs-dimse encodes for the same response: an independent encoder to compare with. */
function libraryCommand(response: responses.Response): Buffer {
  return (
    response.getCommandDataset() as unknown as { getDenaturalizedCommandDataset(): Buffer }
  ).getDenaturalizedCommandDataset();
}

describe('DIMSE responses encoded by hand (PS3.7 9.3)', () => {
  test.each([
    ['odd-length UIDs', '1.2.3.4.5', 7],
    ['even-length UIDs', '1.2.3.4.56', 65535],
    ['a long instance UID', `2.25.${'1'.repeat(59)}`, 1],
  ])('C-STORE-RSP success: the same bytes as dcmjs-dimse, %s', (_name, sopInstanceUid, messageId) => {
    const request = new requests.CStoreRequest(
      new Dataset({ SOPClassUID: CT_IMAGE_STORAGE, SOPInstanceUID: sopInstanceUid }, '1.2.840.10008.1.2.1'),
    );
    request.setMessageId(messageId);
    const response = responses.CStoreResponse.fromRequest(request);
    response.setStatus(0x0000);
    const ours = encodeResponse({
      commandField: CommandField.CStoreRsp,
      messageIdBeingRespondedTo: messageId,
      status: 0x0000,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: sopInstanceUid,
    });
    expect(ours.toString('hex')).toBe(libraryCommand(response).toString('hex'));
  });

  test('C-ECHO-RSP: the same bytes as dcmjs-dimse', () => {
    const request = new requests.CEchoRequest();
    request.setMessageId(3);
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(0x0000);
    const ours = encodeResponse({
      commandField: CommandField.CEchoRsp,
      messageIdBeingRespondedTo: 3,
      status: 0x0000,
      affectedSopClassUid: VERIFICATION,
    });
    expect(ours.toString('hex')).toBe(libraryCommand(response).toString('hex'));
  });

  test('a failure with an Error Comment: cut to 64 characters (LO), printable, even length, decodes back', () => {
    const rsp = encodeResponse({
      commandField: CommandField.CStoreRsp,
      messageIdBeingRespondedTo: 9,
      status: 0xa900,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: '1.2.3',
      errorComment: `SOP Class mismatch\n${'x'.repeat(100)}`,
    });
    expect(rsp.length % 2).toBe(0);
    expect(rsp.readUInt32LE(8)).toBe(rsp.length - 12);
    const d = decodeCommand(rsp);
    expect(d).toMatchObject({
      commandField: 0x8001,
      messageIdBeingRespondedTo: 9,
      status: 0xa900,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: '1.2.3',
    });
    expect(d.errorComment).toHaveLength(64);
    expect(d.errorComment.startsWith('SOP Class mismatch x')).toBe(true);
  });

  test('a received C-STORE-RQ decodes to what the SCP reads', () => {
    const rq = encodeCStoreRq({ messageId: 11, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '2.25.9' });
    expect(decodeCommand(rq)).toMatchObject({
      commandField: CommandField.CStoreRq,
      messageId: 11,
      commandDataSetType: 0x0000,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: '2.25.9',
    });
  });

  test('a value running past the end of the command set ends decoding', () => {
    const rq = encodeCStoreRq({ messageId: 11, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '2.25.9' });
    const cut = rq.subarray(0, rq.length - 3);
    expect(decodeCommand(cut).affectedSopInstanceUid).toBe('');
    expect(decodeCommand(cut).messageId).toBe(11);
  });
});
