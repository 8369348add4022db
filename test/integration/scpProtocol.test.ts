import net from 'node:net';
import path from 'node:path';
import { readDicomHeader } from '../../src/dicom/readDicomHeader';
import { commandSet, ui, us } from '../helpers/elementBytes';
import { BRAIN_SERIES_DIR, DICOM_DIR, describeIf } from '../helpers/env';
import {
  associateRq,
  auditEvents,
  cStoreCommand,
  datasetBytes,
  listFiles,
  runTool,
  startTestNode,
  storescuProposal,
  type TestNode,
} from './ingestHarness';

/*
 * The node's SCP at the byte level (PS3.8 upper layer, PS3.7 DIMSE): every PDU sent here is
 * written by hand (or by the harness), every answer read by hand, so an encoder bug shows.
 */
const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const CT_FILE = path.join(DICOM_DIR, 'pydicom_deb', 'test_files', 'CT_small.dcm');
/** 4-byte PDUs (PS3.8 9.3.4 A-ASSOCIATE-RJ, 9.3.6-7 A-RELEASE-RQ/RP, 9.3.8 A-ABORT): reserved, 3 fields. */
const shortPdu = (type: number, ...fields: number[]): number[] => [type, 0, 0, 0, 0, 4, 0, ...fields];
const RELEASE_RQ = Buffer.from(shortPdu(0x05, 0, 0, 0));
const RELEASE_RP = shortPdu(0x06, 0, 0, 0);
/** A hand-built A-ASSOCIATE-RQ (PS3.8 9.3.2) with one presentation context, id 1. */
const rqFor = (abstractSyntax: string, transferSyntax: string): Buffer =>
  associateRq({ calling: 'RAWSCU', called: 'PACSAI', abstractSyntax, transferSyntax });

/** A raw peer over TCP that hands back whole PDUs (PS3.8 9.3.1: type, reserved, 32-bit BE length). */
class RawPeer {
  closed = false;
  private buf = Buffer.alloc(0);
  private readonly queue: Buffer[] = [];
  private wake: () => void = () => undefined;

  private constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 6 && this.buf.length >= 6 + this.buf.readUInt32BE(2)) {
        const n = 6 + this.buf.readUInt32BE(2);
        this.queue.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
      }
      this.wake();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => resolve(new RawPeer(sock)));
      sock.once('error', reject);
    });
  }

  /** Writes bytes; resolves once they were handed to the OS. */
  write(b: Buffer): Promise<void> {
    return new Promise((resolve) => this.sock.write(b, () => resolve()));
  }

  /** The next whole PDU, or null once the connection closed (or after `timeoutMs`). */
  async next(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.queue.length && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.queue.shift() ?? null;
  }

  /** Associates with one presentation context (id 1) and checks the A-ASSOCIATE-AC accepts it. */
  async associate(abstractSyntax: string, transferSyntax: string): Promise<void> {
    await this.write(rqFor(abstractSyntax, transferSyntax));
    const ac = await this.next();
    expect(ac?.[0]).toBe(0x02);
    // PS3.8 9.3.3.2: item 21H after the 68 fixed bytes and the application context item; result 0.
    const pc = 6 + 68 + 4 + ac!.readUInt16BE(6 + 68 + 2);
    expect([ac![pc], ac![pc + 4], ac![pc + 6]]).toEqual([0x21, 1, 0]);
  }

  /** The next PDU as a plain array of bytes ([] when none came). */
  async nextBytes(): Promise<number[]> {
    return [...((await this.next()) ?? [])];
  }
}

/** PS3.8 9.3.5.1 PDV item; E.2 message control header: bit 0 command, bit 1 last fragment. */
function pdv(value: Buffer, command: boolean, last: boolean, contextId = 1): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt32BE(value.length + 2, 0);
  h[4] = contextId;
  h[5] = (command ? 1 : 0) | (last ? 2 : 0);
  return Buffer.concat([h, value]);
}

/** PS3.8 9.3.5 P-DATA-TF holding the given PDV items. */
function pData(...items: Buffer[]): Buffer {
  const h = Buffer.alloc(6);
  h[0] = 0x04;
  const body = Buffer.concat(items);
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

/** A data set as P-DATA-TF PDUs of `perPdu` data PDVs of `size` bytes, the last one flagged last. */
function dataPdus(payload: Buffer, size: number, perPdu: number): Buffer[] {
  const items: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) {
    items.push(pdv(payload.subarray(i, i + size), false, i + size >= payload.length));
  }
  const out: Buffer[] = [];
  for (let i = 0; i < items.length; i += perPdu) out.push(pData(...items.slice(i, i + perPdu)));
  return out;
}

/** The command set of a P-DATA-TF's command PDVs, element number to value (PS3.7 E.1). */
function readCommand(pdu: Buffer): Map<number, Buffer> {
  expect(pdu[0]).toBe(0x04);
  const parts: Buffer[] = [];
  for (let off = 6; off < pdu.length;) {
    const len = pdu.readUInt32BE(off);
    expect(pdu[off + 5]! & 0x01).toBe(1); // a command fragment
    parts.push(pdu.subarray(off + 6, off + 4 + len));
    off += 4 + len;
  }
  const cmd = Buffer.concat(parts);
  const out = new Map<number, Buffer>();
  for (let off = 0; off < cmd.length;) {
    expect(cmd.readUInt16LE(off)).toBe(0x0000);
    const len = cmd.readUInt32LE(off + 4);
    out.set(cmd.readUInt16LE(off + 2), cmd.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  return out;
}

/** Command Field, Message ID Being Responded To and Status of a response (PS3.7 9.3, C.4). */
async function responseOf(peer: RawPeer): Promise<Array<number | undefined>> {
  const cmd = readCommand((await peer.next()) ?? Buffer.alloc(6));
  return [0x0100, 0x0120, 0x0900].map((e) => cmd.get(e)?.readUInt16LE(0));
}

describe('SCP association negotiation and protocol errors', () => {
  let node: TestNode;
  beforeAll(async () => {
    // The schema only asks for a positive number; 1 s keeps the test short and not flaky.
    node = await startTestNode({ dimse: { associationTimeoutSeconds: 1, idleTimeoutSeconds: 1 } });
  }, 30_000);
  afterAll(async () => {
    await node?.stop();
  }, 30_000);

  const rejectedFor = async (rq: Buffer): Promise<number[]> => {
    const peer = await RawPeer.connect(node.port);
    await peer.write(rq);
    const answer = await peer.nextBytes();
    expect(await peer.next()).toBeNull(); // then the node closes the connection
    expect(peer.closed).toBe(true);
    return answer;
  };

  test('protocol version 0002H: rejected-permanent, ACSE, protocol-version-not-supported (PS3.8 9.3.4)', async () => {
    const rq = rqFor(CT, EXPLICIT_LE);
    rq.writeUInt16BE(0x0002, 6); // PS3.8 9.3.2: the protocol-version field opens the variable part
    expect(await rejectedFor(rq)).toEqual(shortPdu(0x03, 1, 2, 2));
    expect(auditEvents(node.app, 'association.rejected').at(-1)?.detail).toMatchObject({
      reason: 'protocol-version-not-supported',
      result: 1,
      source: 2,
      reasonCode: 2,
    });
  }, 30_000);

  test('application context 1.2.3.4: rejected-permanent, service-user, reason 2 (PS3.7 A.2.1)', async () => {
    const rq = rqFor(CT, EXPLICIT_LE);
    // PS3.8 9.3.2.1: the application context item (10H) is the first item after the 68 fixed bytes.
    const at = 6 + 68;
    expect(rq[at]).toBe(0x10);
    const item = Buffer.from([0x10, 0, 0, 7, ...Buffer.from('1.2.3.4', 'latin1')]);
    const body = Buffer.concat([rq.subarray(6, at), item, rq.subarray(at + 4 + rq.readUInt16BE(at + 2))]);
    const header = Buffer.from([0x01, 0, 0, 0, 0, 0]);
    header.writeUInt32BE(body.length, 2);
    expect(await rejectedFor(Buffer.concat([header, body]))).toEqual(shortPdu(0x03, 1, 1, 2));
    expect(auditEvents(node.app, 'association.rejected').at(-1)?.detail).toMatchObject({
      reason: 'application-context-name-not-supported',
    });
  }, 30_000);

  test('a data PDV before any command: A-ABORT, service-provider, unexpected PDU (PS3.8 9.3.8)', async () => {
    const before = auditEvents(node.app, 'association.aborted').length;
    const peer = await RawPeer.connect(node.port);
    await peer.associate(CT, EXPLICIT_LE);
    await peer.write(pData(pdv(Buffer.from('\x08\x00\x52\x00CS\x02\x00P ', 'latin1'), false, true)));
    expect(await peer.nextBytes()).toEqual(shortPdu(0x07, 0, 2, 2));
    expect(await peer.next()).toBeNull();
    const aborted = auditEvents(node.app, 'association.aborted').slice(before);
    expect(aborted.map((e) => e.detail.problem)).toEqual(['unexpected-pdu']);
  }, 30_000);

  test('no A-ASSOCIATE-RQ within dimse.associationTimeoutSeconds: the connection is closed (PS3.8 9.1.4 ARTIM)', async () => {
    const before = auditEvents(node.app, 'association.aborted').length;
    const started = Date.now();
    const peer = await RawPeer.connect(node.port);
    expect(await peer.next(6000)).toBeNull(); // nothing is sent before the close
    expect(peer.closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
    const aborted = auditEvents(node.app, 'association.aborted').slice(before);
    expect(aborted.map((e) => e.detail)).toEqual([
      expect.objectContaining({ problem: 'timeout', beforeAssociation: true }),
    ]);
  }, 30_000);

  test('nothing for dimse.idleTimeoutSeconds on an association: A-ABORT, service-provider, reason 0, then close', async () => {
    const before = auditEvents(node.app, 'association.aborted').length;
    const peer = await RawPeer.connect(node.port);
    await peer.associate(VERIFICATION, IMPLICIT_LE);
    const started = Date.now();
    expect(await peer.nextBytes()).toEqual(shortPdu(0x07, 0, 2, 0));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await peer.next()).toBeNull();
    const aborted = auditEvents(node.app, 'association.aborted').slice(before);
    expect(aborted.map((e) => e.detail)).toEqual([
      expect.objectContaining({ by: 'node', problem: 'timeout', beforeAssociation: false }),
    ]);
  }, 30_000);

  test('A-RELEASE-RQ after a C-ECHO: A-RELEASE-RP, audited association.released (PS3.8 9.3.6-7)', async () => {
    const before = auditEvents(node.app, 'association.released').length;
    const peer = await RawPeer.connect(node.port);
    await peer.associate(VERIFICATION, IMPLICIT_LE);
    // PS3.7 9.3.5.1 C-ECHO-RQ: command field 0030H, no data set (0101H).
    const echo = commandSet([
      [0x0002, ui(VERIFICATION)],
      [0x0100, us(0x0030)],
      [0x0110, us(3)],
      [0x0800, us(0x0101)],
    ]);
    await peer.write(pData(pdv(echo, true, true)));
    expect(await responseOf(peer)).toEqual([0x8030, 3, 0x0000]);
    await peer.write(RELEASE_RQ);
    expect(await peer.nextBytes()).toEqual(RELEASE_RP);
    expect(await peer.next()).toBeNull();
    expect(auditEvents(node.app, 'association.released').length).toBe(before + 1);
  }, 30_000);
});

describeIf({ shared: true, tools: ['storescu'] })('SCP messages with dimse.maxPduLength 4096', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ dimse: { maxPduLength: 4096 } });
  }, 30_000);
  afterAll(async () => {
    await node?.stop();
  }, 30_000);

  const storedFile = (sopInstanceUid: string): string | undefined => {
    const row = node.app.db
      .prepare('SELECT file_path FROM instances WHERE sop_instance_uid = ?')
      .get(sopInstanceUid) as { file_path: string } | undefined;
    return row && path.join(node.dataDir, row.file_path);
  };

  /** Sends a C-STORE-RQ (PS3.7 9.3.1) of a file's data set as `pdus` cuts it; expects it stored as sent. */
  async function expectStored(
    peer: RawPeer,
    file: string,
    pdus: (command: Buffer, dataSet: Buffer) => Buffer[],
  ) {
    const h = await readDicomHeader(file);
    const sent = datasetBytes(file);
    for (const b of pdus(cStoreCommand(h.mediaStorageSopClassUid, h.mediaStorageSopInstanceUid), sent)) {
      await peer.write(b);
      await new Promise((r) => setTimeout(r, 1)); // separate TCP segments
    }
    expect(await responseOf(peer)).toEqual([0x8001, 1, 0x0000]); // cStoreCommand's Message ID is 1
    const stored = storedFile(h.mediaStorageSopInstanceUid);
    expect(stored).toBeDefined();
    // PS3.10 7.1: preamble, DICM, group 0002, then the data set exactly as received.
    expect(datasetBytes(stored!).equals(sent)).toBe(true);
  }

  test('C-FIND-RQ with a data set: 0211H Unrecognized Operation after it; a C-STORE then still succeeds', async () => {
    const peer = await RawPeer.connect(node.port);
    await peer.associate(CT, EXPLICIT_LE);
    // PS3.7 9.3.2.1 C-FIND-RQ: command field 0020H, a data set follows (Command Data Set Type 0000H).
    const find = commandSet([
      [0x0002, ui(CT)],
      [0x0100, us(0x0020)],
      [0x0110, us(7)],
      [0x0700, us(0)],
      [0x0800, us(0x0000)],
    ]);
    // (0008,0052) CS "STUDY " in Explicit VR Little Endian.
    const identifier = Buffer.from('\x08\x00\x52\x00CS\x06\x00STUDY ', 'latin1');
    await peer.write(Buffer.concat([pData(pdv(find, true, true)), pData(pdv(identifier, false, true))]));
    // PS3.7 9.3.2.2 and C.5.4: command field 8020H, answering Message ID 7, status 0211H.
    expect(await responseOf(peer)).toEqual([0x8020, 7, 0x0211]);
    // The next PDU is the C-STORE-RSP: exactly one response to the C-FIND.
    await expectStored(peer, CT_FILE, (cmd, ds) => [pData(pdv(cmd, true, true)), ...dataPdus(ds, 4000, 1)]);
    await peer.write(RELEASE_RQ);
    expect(await peer.nextBytes()).toEqual(RELEASE_RP);
  }, 30_000);

  test('a command in 3 PDUs and a data set in 1000-byte PDVs cut across TCP writes is stored byte for byte', async () => {
    const peer = await RawPeer.connect(node.port);
    await peer.associate('1.2.840.10008.5.1.4.1.1.4', EXPLICIT_LE);
    const files = listFiles(BRAIN_SERIES_DIR);
    await expectStored(peer, files[files.length - 1]!, (cmd, ds) => {
      // PS3.8 9.3.5 / PS3.7 E.2: three command fragments, the last one flagged last.
      const third = Math.ceil(cmd.length / 3);
      const command = [0, 1, 2].map((i) =>
        pData(pdv(cmd.subarray(i * third, (i + 1) * third), true, i === 2)),
      );
      // Four 1000-byte data PDVs per P-DATA-TF (4024 bytes <= 4096), the stream cut at odd places.
      const stream = Buffer.concat([...command, ...dataPdus(ds, 1000, 4)]);
      const cuts = [1, 5, 700, 3, 1234, 4099, 6, 2500, 10];
      const chunks: Buffer[] = [];
      for (let off = 0, i = 0; off < stream.length; off += cuts[i++ % cuts.length]!) {
        chunks.push(stream.subarray(off, off + cuts[i % cuts.length]!));
      }
      return chunks;
    });
    peer.sock.destroy();
  }, 30_000);

  test('a command and a data set in 1-byte PDVs (with empty ones between) are stored byte for byte', async () => {
    const peer = await RawPeer.connect(node.port);
    await peer.associate(CT, EXPLICIT_LE);
    await expectStored(peer, CT_FILE, (cmd, ds) => {
      // PS3.8 9.3.5.1: a PDV item may carry any number of bytes, none included.
      const empty = pdv(Buffer.alloc(0), false, false);
      const command = [...cmd].map((_, i) => pdv(cmd.subarray(i, i + 1), true, i === cmd.length - 1));
      const data = [...ds].map((_, i) => [pdv(ds.subarray(i, i + 1), false, i === ds.length - 1), empty]);
      // Empty data PDVs go after the command is complete: before it they would announce nothing.
      const items = [...command, ...data.flat().slice(0, -1)];
      const pdus: Buffer[] = [];
      for (let i = 0; i < items.length; i += 500) pdus.push(pData(...items.slice(i, i + 500)));
      return [Buffer.concat(pdus)];
    });
    await peer.write(RELEASE_RQ);
    expect(await peer.nextBytes()).toEqual(RELEASE_RP);
  }, 60_000);

  test('storescu pushes 5 brain files through 4096-byte PDUs: all stored byte for byte', async () => {
    const files = listFiles(BRAIN_SERIES_DIR).slice(0, 5);
    const ts = (await readDicomHeader(files[0]!)).transferSyntaxUid;
    const peer = ['-aet', 'MODALITY', '-aec', 'PACSAI', '127.0.0.1', String(node.port)];
    const r = await runTool('storescu', [...storescuProposal(ts), ...peer, ...files], 60_000);
    expect(r.code).toBe(0);
    for (const file of files) {
      const stored = storedFile((await readDicomHeader(file)).mediaStorageSopInstanceUid);
      expect(stored).toBeDefined();
      expect(datasetBytes(stored!).equals(datasetBytes(file))).toBe(true);
    }
  }, 90_000);
});
