import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { parseNodeConfig } from '../../src/config/loadNodeConfig';
import type { NodeConfigInput } from '../../src/config/nodeConfigSchema';
import { silentLogger } from '../../src/logging/logger';
import { commandSet, ui, us } from '../helpers/elementBytes';
import { dcmtkEnv, tempDir } from '../helpers/env';
import { datasetOf } from '../helpers/part10';

/** Shared by the ingest integration suites: a node started in-process and DCMTK runs. */

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a DCMTK tool with TCP_NODELAY=1; killed after `timeoutMs`. */
export function runTool(cmd: string, args: string[], timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: dcmtkEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface TestNode {
  app: App;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts a node on a free loopback port with a fresh data directory. */
export async function startTestNode(
  patch: NodeConfigInput = {},
  dataDir = tempDir('pacs-ai-node-ingest-'),
): Promise<TestNode> {
  const config = parseNodeConfig({
    dataDir,
    ...patch,
    dimse: { host: '127.0.0.1', port: 0, ...(patch.dimse ?? {}) },
    http: { port: 0, ...(patch.http ?? {}) },
    storage: { minFreeMb: 0, ...(patch.storage ?? {}) },
  });
  const app = createApp({ config, logger: silentLogger });
  const { dimsePort } = await app.start();
  return { app, port: dimsePort, dataDir, stop: () => app.stop() };
}

/** Files of a folder, sorted, absolute. */
export function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort()
    .map((f) => path.join(dir, f));
}

/** Audit events of a kind, newest last. */
export function auditEvents(
  app: App,
  event: string,
): Array<{
  correlation_id: string | null;
  actor: string;
  subject: string | null;
  detail: Record<string, unknown>;
}> {
  return (
    app.db.prepare('SELECT * FROM audit_events WHERE event = ? ORDER BY seq').all(event) as Array<{
      correlation_id: string | null;
      actor: string;
      subject: string | null;
      detail: string;
    }>
  ).map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** Bytes after the File Meta Information group (PS3.10 7.1), i.e. the data set as sent. */
export function datasetBytes(file: string): Buffer {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 128, 132) !== 'DICM') throw new Error(`${file} has no DICM prefix`);
  return datasetOf(buf);
}

/** The storescu option that proposes a file's own transfer syntax (DCMTK proposes uncompressed by default). */
export function storescuProposal(transferSyntaxUid: string): string[] {
  const flags: Record<string, string> = {
    '1.2.840.10008.1.2': '-xi',
    '1.2.840.10008.1.2.1': '-xe',
    '1.2.840.10008.1.2.2': '-xb',
    '1.2.840.10008.1.2.1.99': '-xd',
    '1.2.840.10008.1.2.4.50': '-xy',
    '1.2.840.10008.1.2.4.51': '-xx',
    '1.2.840.10008.1.2.4.70': '-xs',
    '1.2.840.10008.1.2.4.80': '-xt',
    '1.2.840.10008.1.2.4.81': '-xu',
    '1.2.840.10008.1.2.4.90': '-xv',
    '1.2.840.10008.1.2.4.91': '-xw',
    '1.2.840.10008.1.2.5': '-xr',
  };
  const f = flags[transferSyntaxUid];
  return f ? ['-R', f] : ['-R'];
}

/** PS3.8 9.3.2: an A-ASSOCIATE-RQ with one presentation context, built by hand. */
export function associateRq(o: {
  calling: string;
  called: string;
  abstractSyntax: string;
  transferSyntax: string;
  maxPdu?: number;
}): Buffer {
  const item = (type: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(4);
    h[0] = type;
    h.writeUInt16BE(body.length, 2);
    return Buffer.concat([h, body]);
  };
  const ae = (s: string) => Buffer.from(s.padEnd(16, ' ').slice(0, 16), 'latin1');
  const app = item(0x10, Buffer.from('1.2.840.10008.3.1.1.1', 'latin1'));
  const pcHead = Buffer.from([1, 0, 0, 0]); // id 1, reserved
  const pc = item(
    0x20,
    Buffer.concat([
      pcHead,
      item(0x30, Buffer.from(o.abstractSyntax, 'latin1')),
      item(0x40, Buffer.from(o.transferSyntax, 'latin1')),
    ]),
  );
  const maxLen = Buffer.alloc(4);
  maxLen.writeUInt32BE(o.maxPdu ?? 16384);
  const user = item(0x50, Buffer.concat([item(0x51, maxLen), item(0x52, Buffer.from('1.2.3.4', 'latin1'))]));
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0); // protocol version
  ae(o.called).copy(fixed, 4);
  ae(o.calling).copy(fixed, 20);
  const body = Buffer.concat([fixed, app, pc, user]);
  const h = Buffer.alloc(6);
  h[0] = 0x01;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

/** One P-DATA-TF PDU with one PDV (PS3.8 9.3.5, E.2 message control header). */
export function pDataTf(value: Buffer, command: boolean, last: boolean): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv[4] = 1; // presentation context id
  pdv[5] = (command ? 1 : 0) | (last ? 2 : 0);
  const h = Buffer.alloc(6);
  h[0] = 0x04;
  h.writeUInt32BE(pdv.length + value.length, 2);
  return Buffer.concat([h, pdv, value]);
}

/** A C-STORE-RQ command set, Implicit VR Little Endian (PS3.7 9.3.1.1, E.1). */
export function cStoreCommand(sopClassUid: string, sopInstanceUid: string): Buffer {
  return commandSet([
    [0x0002, ui(sopClassUid)],
    [0x0100, us(0x0001)],
    [0x0110, us(1)],
    [0x0700, us(0)],
    [0x0800, us(0x0000)],
    [0x1000, ui(sopInstanceUid)],
  ]);
}

export interface RawOutcome {
  /** PDU types received, in order. */
  pdus: number[];
  /** (0000,0900) of the C-STORE-RSP when one came. */
  status: number | null;
  closed: boolean;
}

/**
 * Talks raw DICOM to the node: sends `chunks` one after the other (each after the previous
 * answer when `stepwise`), collects the PDU types it gets back, until the socket closes or
 * `timeoutMs` passes. For malformed input that DCMTK refuses to send.
 */
export function rawExchange(port: number, chunks: Buffer[], timeoutMs = 10_000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const out: RawOutcome = { pdus: [], status: null, closed: false };
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let next = 0;
    const sendNext = () => {
      if (next < chunks.length && !sock.destroyed) sock.write(chunks[next++]!);
    };
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(out);
    }, timeoutMs);
    sock.on('connect', sendNext);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 6) {
        const len = buf.readUInt32BE(2);
        if (buf.length < 6 + len) break;
        const pdu = buf.subarray(0, 6 + len);
        buf = buf.subarray(6 + len);
        out.pdus.push(pdu[0]!);
        if (pdu[0] === 0x04) {
          const i = pdu.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x09]));
          if (i > 0) out.status = pdu.readUInt16LE(i + 8);
          // after the response: release (PS3.8 9.3.6 A-RELEASE-RQ)
          sock.write(Buffer.from([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
        } else if (pdu[0] === 0x02) {
          // A-ASSOCIATE-AC: send the rest at once
          while (next < chunks.length) sendNext();
        } else if (pdu[0] === 0x06 || pdu[0] === 0x07 || pdu[0] === 0x03) {
          sock.end();
        }
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      out.closed = true;
      resolve(out);
    });
  });
}
