import { decodeCommand, encodeCStoreRq } from '../../../../src/dicom/dimse/commandSet';
import {
  decodeAbort,
  decodeAssociateAc,
  decodeAssociateRj,
  decodeAssociateRq,
  decodePDataTf,
  encodeAbort,
  encodeAssociateAc,
  encodeAssociateRj,
  encodeAssociateRq,
  encodeMessagePdus,
  encodePDataTf,
  encodeReleaseRp,
  MalformedPduError,
  PduReader,
  PduType,
} from '../../../../src/dicom/dimse/pdu';
import { parsePart10Meta } from '../../../../src/dicom/dimse/part10Meta';
import { DatasetInvalidError } from '../../../../src/pipeline/errors';
import { explicitVrElement, implicitVrElement, ui, us } from '../../../helpers/elementBytes';

describe('PS3.8 9.3 PDUs', () => {
  test('A-ASSOCIATE-RQ layout: header, AE titles, contexts, user information', () => {
    const pdu = encodeAssociateRq({
      calledAeTitle: 'ORTHANC',
      callingAeTitle: 'PACSAI',
      contexts: [
        { id: 1, abstractSyntax: '1.2.840.10008.5.1.4.1.1.7', transferSyntaxes: ['1.2.840.10008.1.2.1'] },
      ],
      maxPduLength: 65536,
      implementationClassUid: '2.25.1',
      implementationVersionName: 'TEST',
    });
    expect(pdu.readUInt8(0)).toBe(PduType.AssociateRq);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt16BE(6)).toBe(1);
    expect(pdu.toString('ascii', 10, 26)).toBe('ORTHANC         ');
    expect(pdu.toString('ascii', 26, 42)).toBe('PACSAI          ');
    expect(pdu.readUInt8(74)).toBe(0x10); // application context item
    expect(pdu.includes(Buffer.from('1.2.840.10008.5.1.4.1.1.7'))).toBe(true);
  });

  test('A-ASSOCIATE-AC: contexts and max PDU length are read', () => {
    const fixed = Buffer.alloc(68);
    const ts = Buffer.from('1.2.840.10008.1.2');
    const sub = Buffer.concat([Buffer.from([0x40, 0, 0, ts.length]), ts]);
    const pc = Buffer.concat([Buffer.from([0x21, 0, 0, 4 + sub.length, 3, 0, 0, 0]), sub]);
    const ui = Buffer.from([0x50, 0, 0, 8, 0x51, 0, 0, 4, 0, 0, 0x40, 0]);
    const ac = decodeAssociateAc(Buffer.concat([fixed, pc, ui]));
    expect(ac.contexts).toEqual([{ id: 3, result: 0, transferSyntax: '1.2.840.10008.1.2' }]);
    expect(ac.maxPduLength).toBe(0x4000);
  });

  test('A-ASSOCIATE-RJ fields', () => {
    expect(decodeAssociateRj(Buffer.from([0, 1, 1, 3]))).toEqual({ result: 1, source: 1, reason: 3 });
  });

  test('P-DATA-TF round trip and a reader fed byte by byte', () => {
    const a = encodePDataTf({ contextId: 5, isCommand: true, isLast: true, data: Buffer.from('abcd') });
    const b = encodePDataTf({ contextId: 5, isCommand: false, isLast: false, data: Buffer.from('xy') });
    const reader = new PduReader();
    const got = [];
    for (const byte of Buffer.concat([a, b])) got.push(...reader.push(Buffer.from([byte])));
    expect(got.map((p) => p.type)).toEqual([4, 4]);
    expect(decodePDataTf(got[0]!.body)).toEqual([
      { contextId: 5, isCommand: true, isLast: true, data: Buffer.from('abcd') },
    ]);
    expect(decodePDataTf(got[1]!.body)[0]).toMatchObject({ isCommand: false, isLast: false });
  });

  test('the reader refuses an oversized PDU', () => {
    const reader = new PduReader(100);
    const h = Buffer.alloc(6);
    h.writeUInt8(4, 0);
    h.writeUInt32BE(1000, 2);
    expect(() => reader.push(h)).toThrow(/exceeds/);
  });
});

describe('PS3.8 9.3 PDUs of the SCP side', () => {
  const rq = {
    calledAeTitle: 'PACSAI',
    callingAeTitle: 'MODALITY',
    contexts: [
      { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
      {
        id: 3,
        abstractSyntax: '1.2.840.10008.5.1.4.1.1.2',
        transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'],
      },
    ],
    maxPduLength: 16384,
    implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
    implementationVersionName: 'OFFIS_DCMTK_367',
  };

  test('A-ASSOCIATE-RQ decodes what encodeAssociateRq wrote (the SCU side is an independent writer)', () => {
    const pdu = encodeAssociateRq(rq);
    expect(decodeAssociateRq(pdu.subarray(6))).toEqual({
      ...rq,
      protocolVersion: 1,
      applicationContextName: '1.2.840.10008.3.1.1.1',
    });
  });

  test('A-ASSOCIATE-RQ: items that run past their parent, or a short fixed part, are malformed', () => {
    const body = encodeAssociateRq(rq).subarray(6);
    expect(() => decodeAssociateRq(body.subarray(0, 60))).toThrow(MalformedPduError);
    expect(() => decodeAssociateRq(body.subarray(0, body.length - 3))).toThrow(/runs past its end|cut short/);
    const broken = Buffer.from(body);
    broken.writeUInt16BE(0xffff, 68 + 2); // application context item claims 65535 bytes
    expect(() => decodeAssociateRq(broken)).toThrow(MalformedPduError);
  });

  test('A-ASSOCIATE-AC is read back by the SCU decoder, AE titles echoed', () => {
    const pdu = encodeAssociateAc({
      calledAeTitle: 'PACSAI',
      callingAeTitle: 'MODALITY',
      contexts: [
        { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' },
        { id: 3, result: 4, transferSyntax: '1.2.840.10008.1.2.1' },
      ],
      maxPduLength: 65536,
      implementationClassUid: '2.25.1',
      implementationVersionName: 'PACSAI',
    });
    expect(pdu.readUInt8(0)).toBe(PduType.AssociateAc);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.toString('ascii', 10, 26)).toBe('PACSAI          ');
    expect(pdu.toString('ascii', 26, 42)).toBe('MODALITY        ');
    expect(decodeAssociateAc(pdu.subarray(6))).toEqual({
      contexts: [
        { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' },
        { id: 3, result: 4, transferSyntax: '1.2.840.10008.1.2.1' },
      ],
      maxPduLength: 65536,
    });
  });

  test('A-ASSOCIATE-RJ, A-RELEASE-RP and A-ABORT', () => {
    const rj = encodeAssociateRj({ result: 2, source: 3, reason: 2 });
    expect([...rj]).toEqual([3, 0, 0, 0, 0, 4, 0, 2, 3, 2]);
    expect(decodeAssociateRj(rj.subarray(6))).toEqual({ result: 2, source: 3, reason: 2 });
    expect([...encodeReleaseRp()]).toEqual([6, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    expect(decodeAbort(encodeAbort(2, 6).subarray(6))).toEqual({ source: 2, reason: 6 });
    // PS3.8 9.3.8: the reason is not significant for a service-user abort; sent as 0.
    expect(decodeAbort(encodeAbort(0, 6).subarray(6))).toEqual({ source: 0, reason: 0 });
  });

  test('a message part is split into PDUs within the peer maximum, the last fragment flagged', () => {
    const data = Buffer.from('0123456789abcdefghij'); // 20 bytes
    const reader = new PduReader();
    const pdus = reader.push(encodeMessagePdus(7, true, data, 14)); // room: 8 bytes per PDV
    expect(pdus.map((p) => 6 + p.body.length).every((n) => n - 6 <= 14)).toBe(true);
    const pdvs = pdus.flatMap((p) => decodePDataTf(p.body));
    expect(pdvs.map((p) => p.data.toString())).toEqual(['01234567', '89abcdef', 'ghij']);
    expect(pdvs.map((p) => p.isLast)).toEqual([false, false, true]);
    expect(pdvs.every((p) => p.isCommand && p.contextId === 7)).toBe(true);
    // No limit (0): one PDU.
    expect(reader.push(encodeMessagePdus(7, false, data, 0))).toHaveLength(1);
  });
});

describe('PS3.7 9.3.1 C-STORE command set', () => {
  test('C-STORE-RQ: group length first, odd UIDs padded, fields decode', () => {
    const rq = encodeCStoreRq({
      messageId: 7,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      sopInstanceUid: '2.25.123',
    });
    expect(rq.readUInt16LE(2)).toBe(0x0000);
    expect(rq.readUInt32LE(8)).toBe(rq.length - 12);
    const d = decodeCommand(rq);
    expect(d.commandField).toBe(0x0001);
    expect(d.affectedSopInstanceUid).toBe('2.25.123');
  });

  test('C-STORE-RSP status and error comment', () => {
    const rsp = Buffer.concat([
      implicitVrElement(0x0000, 0x0100, us(0x8001)),
      implicitVrElement(0x0000, 0x0120, us(7)),
      implicitVrElement(0x0000, 0x0900, us(0xa700)),
      implicitVrElement(0x0000, 0x0902, Buffer.from('disk full ')),
    ]);
    expect(decodeCommand(rsp)).toMatchObject({
      commandField: 0x8001,
      messageIdBeingRespondedTo: 7,
      status: 0xa700,
      errorComment: 'disk full',
    });
  });
});

describe('PS3.10 7.1 File Meta Information', () => {
  function part10(elements: Array<[number, string, string]>): Buffer {
    return Buffer.concat([
      Buffer.alloc(128),
      Buffer.from('DICM'),
      ...elements.map(([el, vr, value]) => explicitVrElement(0x0002, el, vr, ui(value))),
      Buffer.from([0x08, 0x00, 0x16, 0x00]),
    ]);
  }

  test('finds the UIDs and where the data set starts', () => {
    const buf = part10([
      [0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.7'],
      [0x0003, 'UI', '2.25.5'],
      [0x0010, 'UI', '1.2.840.10008.1.2.1'],
    ]);
    const m = parsePart10Meta(buf, buf.length);
    expect(m).toMatchObject({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      sopInstanceUid: '2.25.5',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
    });
    expect(m.datasetOffset).toBe(buf.length - 4);
  });

  test('rejects files without DICM or without the UIDs', () => {
    expect(() => parsePart10Meta(Buffer.alloc(200), 200)).toThrow(DatasetInvalidError);
    const noTs = part10([[0x0002, 'UI', '1.2']]);
    expect(() => parsePart10Meta(noTs, noTs.length)).toThrow(/Transfer Syntax/);
  });
});
