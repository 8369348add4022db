import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from './ports';
import { tempDir } from './env';

/**
 * A real Orthanc (Debian packages `orthanc`, `orthanc-dicomweb`) on loopback ports with a
 * temporary storage folder, for integration tests. Nothing is mocked.
 */
export interface OrthancInstance {
  httpPort: number;
  dicomPort: number;
  aeTitle: string;
  storageDir: string;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** GET a JSON resource of the REST API. */
  get<T = unknown>(urlPath: string): Promise<T>;
  /** POST to the REST API; resolves to status and body text. */
  post(
    urlPath: string,
    body: string | Buffer,
    contentType?: string,
  ): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
  /** Start again on the same ports and storage (after stop()). */
  restart(): Promise<void>;
}

export interface OrthancOptions {
  aeTitle?: string;
  /** DICOM modalities Orthanc knows (name → [AET, host, port]). */
  modalities?: Record<string, [string, string, number]>;
  /** DICOMweb servers Orthanc knows (name → base URL ending with /). */
  dicomWebServers?: Record<string, string>;
  /** Extra configuration keys. */
  extra?: Record<string, unknown>;
}

export const ORTHANC_BIN = '/usr/sbin/Orthanc';
const PLUGINS = ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'];

function request(
  method: string,
  url: string,
  body?: string | Buffer,
  contentType?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: contentType ? { 'content-type': contentType } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`timeout ${method} ${url}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Starts Orthanc and resolves once its REST API answers (bounded wait). */
export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancInstance> {
  const dir = tempDir('orthanc-');
  const storageDir = path.join(dir, 'storage');
  fs.mkdirSync(storageDir);
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const aeTitle = opts.aeTitle ?? 'ORTHANC';
  const config = {
    Name: 'pacs-ai-node-test',
    StorageDirectory: storageDir,
    IndexDirectory: storageDir,
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: aeTitle,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowEcho: true,
    UnknownSopClassAccepted: true,
    Plugins: PLUGINS.filter((p) => fs.existsSync(p)),
    DicomModalities: opts.modalities ?? {},
    DicomWeb: { Enable: true, Root: '/dicom-web/', Servers: opts.dicomWebServers ?? {} },
    StableAge: 1,
    ...(opts.extra ?? {}),
  };
  const configFile = path.join(dir, 'orthanc.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  let proc: ChildProcess | undefined;
  const logFile = path.join(dir, 'orthanc.log');

  const launch = async (): Promise<void> => {
    const log = fs.openSync(logFile, 'a');
    proc = spawn(ORTHANC_BIN, [configFile], {
      stdio: ['ignore', log, log],
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    fs.closeSync(log);
    const deadline = Date.now() + 30000;
    for (;;) {
      try {
        const r = await request('GET', `${baseUrl}/system`);
        if (r.status === 200) return;
      } catch {
        /* not up yet */
      }
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(
          `Orthanc exited (${proc.exitCode ?? proc.signalCode}); log: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `Orthanc did not start in 30 s; log: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  /** True once the process ended, by exit or by a signal (a SIGKILL sets signalCode, not exitCode). */
  const ended = (p: ChildProcess): boolean => p.exitCode !== null || p.signalCode !== null;

  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || ended(p)) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        resolve();
      }, 10000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    });
  };

  await launch();
  return {
    httpPort,
    dicomPort,
    aeTitle,
    storageDir,
    baseUrl,
    async get<T>(urlPath: string): Promise<T> {
      const r = await request('GET', `${baseUrl}${urlPath}`);
      if (r.status !== 200) throw new Error(`GET ${urlPath}: ${r.status} ${r.body.slice(0, 200)}`);
      return JSON.parse(r.body) as T;
    },
    post: (urlPath, body, contentType) => request('POST', `${baseUrl}${urlPath}`, body, contentType),
    stop,
    restart: launch,
  };
}

/** The SOP Instance UIDs of every instance Orthanc stores, sorted (REST /instances). */
export async function storedSopInstanceUids(orthanc: OrthancInstance): Promise<string[]> {
  const uids: string[] = [];
  for (const id of await orthanc.get<string[]>('/instances'))
    uids.push(
      (await orthanc.get<{ MainDicomTags: { SOPInstanceUID: string } }>(`/instances/${id}`)).MainDicomTags
        .SOPInstanceUID,
    );
  return uids.sort();
}
