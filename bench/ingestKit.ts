/**
 * What the ingest benches share (bench/ingest.ts, bench/ingestStages.ts): synthetic CT series
 * written by hand (PS3.10; node built-ins and the tests' element writer only), running DCMTK's
 * tools, and a work folder (bench/e2e.ts uses that too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { explicitVrElement as element } from '../test/helpers/elementBytes';

export const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };

/**
 * A fresh folder under the system temp folder for one bench run, removed when the process
 * exits, after a failure too (a failed run used to leave hundreds of MiB behind).
 */
export function workFolder(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The pace of a push inside a receiver: images/s over each run of 100 consecutive files among
 * the newest `count` files under `dir` (by modification time, which the kernel keeps to a few
 * milliseconds, so each figure is within a few per cent). A receiver's files are written as
 * the instances arrive, so this shows how its rate moves within one push.
 */
export function ratesByHundred(dir: string, count: number): number[] {
  const times: bigint[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) times.push(fs.statSync(p, { bigint: true }).mtimeNs);
    }
  };
  walk(dir);
  const newest = times.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(-count);
  const rates: number[] = [];
  // Each figure spans 100 intervals between consecutive files, the last one what is left.
  for (let from = 0; from < newest.length - 1; from += 100) {
    const to = Math.min(from + 100, newest.length - 1);
    rates.push(Math.round((to - from) / (Number(newest[to]! - newest[from]!) / 1e9)));
  }
  return rates;
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

const uid = (): string => `2.25.${BigInt(`0x${crypto.randomUUID().replace(/-/g, '')}`).toString(10)}`;

const text = (s: string, pad = ' '): Buffer => Buffer.from(s.length % 2 ? s + pad : s, 'latin1');
const ui = (s: string): Buffer => text(s, '\0');
const us = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

/** Preamble, DICM, group 0002 and the data set up to (excluding) the Pixel Data value. */
function headerBytes(o: {
  sopInstanceUid: string;
  study: string;
  series: string;
  number: number;
  rows: number;
  columns: number;
}): Buffer {
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', ui(CT_IMAGE_STORAGE)),
    element(0x0002, 0x0003, 'UI', ui(o.sopInstanceUid)),
    element(0x0002, 0x0010, 'UI', ui(EXPLICIT_VR_LE)),
    element(0x0002, 0x0012, 'UI', ui('1.2.3.4')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const dataset = Buffer.concat([
    element(0x0008, 0x0016, 'UI', ui(CT_IMAGE_STORAGE)),
    element(0x0008, 0x0018, 'UI', ui(o.sopInstanceUid)),
    element(0x0008, 0x0060, 'CS', text('CT')),
    element(0x0010, 0x0010, 'PN', text('Bench^Ingest')),
    element(0x0010, 0x0020, 'LO', text('BENCH')),
    element(0x0020, 0x000d, 'UI', ui(o.study)),
    element(0x0020, 0x000e, 'UI', ui(o.series)),
    element(0x0020, 0x0013, 'IS', text(String(o.number))),
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', text('MONOCHROME2')),
    element(0x0028, 0x0010, 'US', us(o.rows)),
    element(0x0028, 0x0011, 'US', us(o.columns)),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(16)),
    element(0x0028, 0x0102, 'US', us(15)),
    element(0x0028, 0x0103, 'US', us(1)),
  ]);
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OW', 4, 'latin1');
  pixelHeader.writeUInt32LE(o.rows * o.columns * 2, 8);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    element(0x0002, 0x0000, 'UL', groupLength),
    metaBody,
    dataset,
    pixelHeader,
  ]);
}

/** Writes `count` 512x512 CT slices of one series into `dir`. */
export function generateSeries(dir: string, count: number): void {
  const study = uid();
  const series = uid();
  const pixels = Buffer.alloc(512 * 512 * 2);
  for (let i = 0; i < 512 * 512; i++) pixels.writeInt16LE(((i * 7) % 2000) - 1000, i * 2);
  for (let n = 1; n <= count; n++) {
    const h = headerBytes({ sopInstanceUid: uid(), study, series, number: n, rows: 512, columns: 512 });
    fs.writeFileSync(path.join(dir, `ct${String(n).padStart(5, '0')}.dcm`), Buffer.concat([h, pixels]));
  }
}

/** One instance of about 200 MiB (10240 x 10240 x 16 bits), written in 8 MiB chunks. */
export function generateLarge(file: string): number {
  const rows = 10240;
  const columns = 10240;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(
    fd,
    headerBytes({ sopInstanceUid: uid(), study: uid(), series: uid(), number: 1, rows, columns }),
  );
  const chunk = Buffer.alloc(8 * 1024 * 1024, 0x11);
  let left = rows * columns * 2;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    fs.writeSync(fd, chunk, 0, n);
    left -= n;
  }
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; ms: number; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: DCMTK_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Number(process.hrtime.bigint() - t0) / 1e6, stderr });
    });
  });
}

/** Waits (bounded) until an SCP answers C-ECHO. */
export async function waitForEcho(port: number, aet: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await run('echoscu', ['-aec', aet, '127.0.0.1', String(port)], 5000);
    if (r.code === 0) return;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  throw new Error(`no C-ECHO answer on port ${port}`);
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}

/** storescu's arguments for one push of every file in `dir`, on one association (called AE PACSAI). */
export function storescuPush(port: number, dir: string): string[] {
  return ['-aet', 'BENCH', '-aec', 'PACSAI', '-R', '127.0.0.1', String(port), '+sd', dir];
}

/** DCMTK storescp writing into `dir` (no fsync: the reference) on a free port, once it answers C-ECHO. */
export async function startStorescp(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('storescp', ['-aet', 'PACSAI', '-od', dir, String(port)], {
    env: DCMTK_ENV,
    stdio: 'ignore',
  });
  await waitForEcho(port, 'PACSAI');
  return { port, child };
}
