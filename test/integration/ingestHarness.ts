import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createApp, type App } from '../../src/app';
import { parseNodeConfig } from '../../src/config/loadNodeConfig';
import type { NodeConfigInput } from '../../src/config/nodeConfigSchema';
import { silentLogger } from '../../src/logging/logger';
import { dcmtkEnv, tempDir } from '../helpers/env';

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
  // (0002,0000) UL group length is the first element after the prefix.
  const groupLength = buf.readUInt32LE(128 + 4 + 8);
  return buf.subarray(128 + 4 + 12 + groupLength);
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
