import { PduGuard } from '../../../src/receive';

const pdu = (type: number, length: number, body = Buffer.alloc(0)) => {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(length, 2);
  return Buffer.concat([h, body]);
};

describe('PduGuard (PS3.8 9.3.1 PDU headers)', () => {
  test('passes PDUs within the limit, across arbitrary chunk boundaries', () => {
    const g = new PduGuard(4096);
    const stream = Buffer.concat([
      pdu(0x01, 300, Buffer.alloc(300)),
      pdu(0x04, 4096, Buffer.alloc(4096)),
      pdu(0x05, 4, Buffer.alloc(4)),
    ]);
    for (let i = 0; i < stream.length; i += 7) expect(g.feed(stream.subarray(i, i + 7))).toBeNull();
  });

  test('refuses a P-DATA-TF claiming 2 GB', () => {
    expect(new PduGuard(65536).feed(pdu(0x04, 0x7fffffff))).toEqual({
      pduType: 4,
      length: 0x7fffffff,
      problem: 'pdu-too-long',
    });
  });

  test('refuses an unknown PDU type, even when its header arrives one byte at a time', () => {
    const g = new PduGuard(65536);
    const h = pdu(0x42, 10);
    let v = null;
    for (const b of h) v = v ?? g.feed(Buffer.from([b]));
    expect(v).toMatchObject({ pduType: 0x42, problem: 'unknown-pdu-type' });
  });

  test('an A-ASSOCIATE-RQ may exceed a small max PDU length (many presentation contexts)', () => {
    expect(new PduGuard(4096).feed(pdu(0x01, 60000))).toBeNull();
    expect(new PduGuard(4096).feed(pdu(0x01, 2 * 1024 * 1024))).toMatchObject({ problem: 'pdu-too-long' });
  });
});
