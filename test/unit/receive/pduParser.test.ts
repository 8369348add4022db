import { encodePDataTf } from '../../../src/dicom/dimse/pdu';
import { PduParser, type PduParserHandlers } from '../../../src/receive';

const pdu = (type: number, length: number, body = Buffer.alloc(0)) => {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(length, 2);
  return Buffer.concat([h, body]);
};

/** A P-DATA-TF holding several PDV items (PS3.8 9.3.5.1). */
const pdata = (...pdvs: Array<{ ctx: number; control: number; data: Buffer }>) => {
  const items = pdvs.map((p) => {
    const h = Buffer.alloc(6);
    h.writeUInt32BE(p.data.length + 2, 0);
    h[4] = p.ctx;
    h[5] = p.control;
    return Buffer.concat([h, p.data]);
  });
  const body = Buffer.concat(items);
  return pdu(0x04, body.length, body);
};

/** Records what the parser hands on, joining the pieces of each PDV. */
function recorder() {
  const events: string[] = [];
  let current: Buffer[] = [];
  const handlers: PduParserHandlers = {
    pdu: (type, body) => events.push(`pdu ${type} ${body.toString('hex')}`),
    pdvData: (_ctx, _cmd, data) => current.push(Buffer.from(data)),
    pdvEnd: (ctx, cmd, last) => {
      events.push(
        `pdv ctx=${ctx} ${cmd ? 'cmd' : 'data'}${last ? ' last' : ''} ${Buffer.concat(current).toString()}`,
      );
      current = [];
    },
  };
  return { events, handlers };
}

describe('PduParser (PS3.8 9.3.1 PDUs, 9.3.5 P-DATA-TF streamed)', () => {
  const stream = Buffer.concat([
    pdu(0x01, 4, Buffer.from([1, 2, 3, 4])),
    pdata({ ctx: 1, control: 0x03, data: Buffer.from('command') }),
    pdata(
      { ctx: 1, control: 0x00, data: Buffer.from('first half ') },
      { ctx: 1, control: 0x02, data: Buffer.from('second half') },
    ),
    encodePDataTf({ contextId: 3, isCommand: false, isLast: true, data: Buffer.alloc(0) }),
    pdu(0x05, 4, Buffer.alloc(4)),
  ]);
  const expected = [
    'pdu 1 01020304',
    'pdv ctx=1 cmd last command',
    'pdv ctx=1 data first half ',
    'pdv ctx=1 data last second half',
    'pdv ctx=3 data last ',
    'pdu 5 00000000',
  ];

  test.each([1, 2, 5, 7, 13, 4096])('the same events whatever the chunk size (%i bytes)', (size) => {
    const { events, handlers } = recorder();
    const p = new PduParser(4096, handlers);
    for (let i = 0; i < stream.length; i += size) expect(p.feed(stream.subarray(i, i + size))).toBeNull();
    expect(events).toEqual(expected);
  });

  test('data arrives as views into the received chunk, not copies', () => {
    const views: Buffer[] = [];
    const chunk = pdata({ ctx: 1, control: 0x02, data: Buffer.alloc(1000, 7) });
    new PduParser(4096, {
      pdu: () => undefined,
      pdvData: (_c, _k, d) => views.push(d),
      pdvEnd: () => undefined,
    }).feed(chunk);
    expect(views).toHaveLength(1);
    expect(views[0]!.buffer).toBe(chunk.buffer);
  });

  test('refuses a P-DATA-TF claiming 2 GB before keeping any of it', () => {
    const { handlers } = recorder();
    expect(new PduParser(65536, handlers).feed(pdu(0x04, 0x7fffffff))).toMatchObject({
      pduType: 4,
      length: 0x7fffffff,
      problem: 'pdu-too-long',
    });
  });

  test('refuses an unknown PDU type, even when its header arrives one byte at a time', () => {
    const p = new PduParser(65536, recorder().handlers);
    let v = null;
    for (const b of pdu(0x42, 10)) v = v ?? p.feed(Buffer.from([b]));
    expect(v).toMatchObject({ pduType: 0x42, problem: 'unknown-pdu-type' });
  });

  test('an A-ASSOCIATE-RQ may exceed a small max PDU length (many presentation contexts), up to 1 MiB', () => {
    expect(new PduParser(4096, recorder().handlers).feed(pdu(0x01, 60000))).toBeNull();
    expect(new PduParser(4096, recorder().handlers).feed(pdu(0x01, 2 * 1024 * 1024))).toMatchObject({
      problem: 'pdu-too-long',
    });
  });

  test.each([
    ['a P-DATA-TF too short for a PDV item', pdu(0x04, 3, Buffer.alloc(3))],
    [
      'a PDV item longer than its PDU',
      (() => {
        const b = pdata({ ctx: 1, control: 2, data: Buffer.from('abcd') });
        b.writeUInt32BE(100, 6);
        return b;
      })(),
    ],
    [
      'a PDV item length below 2',
      (() => {
        const b = pdata({ ctx: 1, control: 2, data: Buffer.from('abcd') });
        b.writeUInt32BE(1, 6);
        return b;
      })(),
    ],
    [
      'bytes after the last PDV that are not an item',
      (() => {
        const inner = pdata({ ctx: 1, control: 2, data: Buffer.from('abcd') }).subarray(6);
        const body = Buffer.concat([inner, Buffer.alloc(3)]);
        return pdu(0x04, body.length, body);
      })(),
    ],
  ])('malformed: %s', (_name, bytes) => {
    const p = new PduParser(4096, recorder().handlers);
    expect(p.feed(bytes)).toMatchObject({ problem: 'malformed-pdu', pduType: 4 });
  });

  test('stop() ends parsing at once', () => {
    const { events, handlers } = recorder();
    const p = new PduParser(4096, {
      ...handlers,
      pdu: (type, body) => {
        handlers.pdu(type, body);
        p.stop();
      },
    });
    p.feed(stream);
    expect(events).toEqual(['pdu 1 01020304']);
  });
});
