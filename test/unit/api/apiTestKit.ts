import path from 'node:path';
import { Metrics, type HttpDeps } from '../../../src/api';
import { AuditLog } from '../../../src/audit';
import { nodeConfigSchema, type NodeConfigInput } from '../../../src/config/nodeConfigSchema';
import { openDatabase, type Db } from '../../../src/db/openDatabase';
import { silentLogger } from '../../../src/logging/logger';
import { FakeClock } from '../../../src/pipeline/clock';
import { InstanceStore } from '../../../src/store';
import { tempDir } from '../../helpers/env';
import { greyPixelModule } from '../../helpers/greyPixelModule';
import { part10Bytes } from '../../helpers/part10';

export const READ_TOKEN = 'read-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const TOKENS = [
  { name: 'viewer', token: READ_TOKEN, role: 'read' as const },
  { name: 'ops', token: ADMIN_TOKEN, role: 'admin' as const },
];

/** Calls made to the injected ports, for assertions. */
export interface PortCalls {
  reload: string[];
  replay: Array<{ id: string; actor: string }>;
  explain: unknown[][][];
  stored: string[];
  ended: string[];
}

export interface Kit {
  deps: HttpDeps;
  db: Db;
  dataDir: string;
  clock: FakeClock;
  calls: PortCalls;
  chain: { ok: boolean; firstBadSeq: number | null; problem: string | null } | null;
}

/** A full HttpDeps over a real SQLite database and the real store in a temp folder; fake ports. */
export function makeKit(
  opts: {
    tokens?: boolean;
    config?: NodeConfigInput;
    freeBytes?: number | null;
    /** storage.minFreeMb of the real store (default 0). */
    storeMinFreeMb?: number;
    /** maxMessageBytes of the real store (default 10 MiB). */
    storeMaxBytes?: number;
  } = {},
): Kit {
  const dataDir = tempDir('api-test-');
  const config = nodeConfigSchema.parse({
    dataDir,
    http: { tokens: opts.tokens ? TOKENS : [], maxStowBytes: 5 * 1024 * 1024 },
    storage: { minFreeMb: 1 },
    ...(opts.config ?? {}),
  });
  const db = openDatabase(path.join(dataDir, 'pacs-ai-node.sqlite'));
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const audit = new AuditLog(db, clock);
  const calls: PortCalls = { reload: [], replay: [], explain: [], stored: [], ended: [] };
  const store = new InstanceStore({
    dataDir,
    db,
    audit,
    clock,
    logger: silentLogger,
    minFreeMb: opts.storeMinFreeMb ?? 0,
    maxMessageBytes: opts.storeMaxBytes ?? 10 * 1024 * 1024,
  });
  const kit: Kit = {
    db,
    dataDir,
    clock,
    calls,
    chain: null,
    deps: undefined as unknown as HttpDeps,
  };
  kit.deps = {
    config,
    db,
    clock,
    logger: silentLogger,
    audit,
    metrics: new Metrics({ db }),
    ingest: {
      storePart10Stream: (input, peer, source) => store.storePart10Stream(input, peer, source),
      instanceStored: (i) => calls.stored.push(i.sopInstanceUid),
      requestEnded: (id) => calls.ended.push(id),
    },
    rules: {
      check: (text) =>
        text.includes('rules:')
          ? { ok: true, problems: [], version: 'v-check' }
          : { ok: false, problems: ['(root): rules is required'] },
      explain: (series) => {
        calls.explain.push(series);
        return series.map((s) => ({ instances: s.length, matched: ['ct-rule'] }));
      },
      reload: (actor) => {
        calls.reload.push(actor);
        return { ok: true, problems: [], version: 'v2' };
      },
      currentVersion: () => 'v1',
    },
    models: { list: () => [{ id: 'brain-gwm', version: '1.0.0', state: 'ready' }] },
    deliveries: {
      list: (f) => [{ id: 'd1', state: f.state ?? 'pending' }],
      replay: (id, actor) => {
        calls.replay.push({ id, actor });
        return { state: 'pending' };
      },
    },
    auditChain: () => kit.chain,
    readiness: () => [{ name: 'dimse', ok: true, detail: 'listening on 11112' }],
    diskFreeBytes: async () => (opts.freeBytes === undefined ? 10 * 1024 * 1024 * 1024 : opts.freeBytes),
    scheduledJobs: () => [],
  };
  return kit;
}

export interface SyntheticInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  patientName?: string;
  patientId?: string;
  studyDate?: string;
  modality?: string;
  instanceNumber?: number;
  accessionNumber?: string;
}

/** A small valid CT Image Part 10 file (4×4, 16-bit) with the given identifiers. */
export function syntheticPart10(s: SyntheticInstance): Buffer {
  const pixels = new Uint16Array(16).map((_, i) => i * 100);
  return part10Bytes(
    {
      SpecificCharacterSet: 'ISO_IR 100',
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: s.sopInstanceUid,
      StudyDate: s.studyDate ?? '20260101',
      StudyTime: '101010',
      AccessionNumber: s.accessionNumber ?? 'ACC1',
      Modality: s.modality ?? 'CT',
      PatientName: [{ Alphabetic: s.patientName ?? 'Doe^Jane' }],
      PatientID: s.patientId ?? 'PID1',
      PatientBirthDate: '19700101',
      PatientSex: 'F',
      StudyInstanceUID: s.studyInstanceUid,
      SeriesInstanceUID: s.seriesInstanceUid,
      StudyID: '1',
      SeriesNumber: 1,
      InstanceNumber: s.instanceNumber ?? 1,
      ...greyPixelModule(4, 4, pixels, { bitsStored: 12 }),
      RescaleSlope: 1,
      RescaleIntercept: 0,
    },
    { implementationClassUid: '1.2.826.0.1.3680043.10.1' },
  );
}

/** A multipart/related body of application/dicom parts (PS3.18 10.5.1.2). */
export function multipartBody(
  parts: Array<Buffer | { body: Buffer; contentType: string }>,
  boundary = 'test-boundary-1234',
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const body = Buffer.isBuffer(p) ? p : p.body;
    const ct = Buffer.isBuffer(p) ? 'application/dicom' : p.contentType;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${ct}\r\n\r\n`), body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** The bodies of the parts of a multipart/related body (RFC 2046 5.1.1), the reverse of multipartBody. */
export function splitMultipart(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)![2]!;
  const delim = Buffer.from(`\r\n--${boundary}`);
  const buf = Buffer.concat([Buffer.from('\r\n'), body]);
  const out: Buffer[] = [];
  let at = buf.indexOf(delim);
  while (at >= 0) {
    const start = buf.indexOf('\r\n\r\n', at + delim.length);
    const next = buf.indexOf(delim, at + delim.length);
    if (next < 0 || start < 0 || start > next) break;
    out.push(buf.subarray(start + 4, next));
    at = next;
  }
  return out;
}
