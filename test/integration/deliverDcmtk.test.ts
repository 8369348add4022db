import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parsePart10Meta, storeFiles } from '../../src/dicom/dimse';
import { dcmtkEnv, describeIf, tempDir } from '../helpers/env';
import { freePort } from '../helpers/ports';
import { asEncodedObject, writeSyntheticInstance } from '../unit/deliver/syntheticDicom';
import { selfSignedCert } from '../helpers/selfSignedCert';
import { testDeliveryService } from './testDeliveryService';

jest.setTimeout(60000);

interface Storescp {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Starts DCMTK storescp on a loopback port (a free one unless given) and waits until it accepts connections. */
async function startStorescp(extra: string[] = [], fixedPort?: number): Promise<Storescp> {
  const port = fixedPort ?? (await freePort());
  const dir = tempDir('storescp-');
  const proc: ChildProcess = spawn('storescp', [...extra, '-od', dir, String(port)], {
    env: dcmtkEnv(),
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || proc.exitCode !== null)
      throw new Error(`storescp did not start (exit ${proc.exitCode})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

const dataset = (file: string): Buffer => {
  const buf = fs.readFileSync(file);
  return buf.subarray(parsePart10Meta(buf, buf.length).datasetOffset);
};

describeIf({ tools: ['storescp', 'openssl'] })('C-STORE SCU against DCMTK storescp', () => {
  test('bit-preserving storescp receives exactly the data set bytes we hold (sent as stored)', async () => {
    const scp = await startStorescp(['+B']);
    try {
      const dir = tempDir();
      const files = [
        writeSyntheticInstance(dir),
        writeSyntheticInstance(dir, { transferSyntaxUid: '1.2.840.10008.1.2' }),
      ];
      const results = await storeFiles(
        files.map((f) => f.file),
        { host: '127.0.0.1', port: scp.port, calledAeTitle: 'STORESCP', callingAeTitle: 'PACSAI' },
      );
      expect(results.map((r) => [r.statusClass, r.status, r.transferSyntaxUid])).toEqual([
        ['success', 0, '1.2.840.10008.1.2.1'],
        ['success', 0, '1.2.840.10008.1.2'],
      ]);
      const received = fs.readdirSync(scp.dir);
      expect(received).toHaveLength(2);
      for (const f of files) {
        const got = received.find((n) => n.endsWith(f.sopInstanceUid))!;
        expect(dataset(path.join(scp.dir, got)).equals(dataset(f.file))).toBe(true);
      }
    } finally {
      await scp.stop();
    }
  });

  test.each([
    ['--refuse', /association rejected/],
    ['--abort-after', /aborted|closed/],
    ['--abort-during', /aborted|closed|network/],
  ])('storescp %s: every file a failure without a DIMSE status', async (flag, message) => {
    const scp = await startStorescp([flag]);
    try {
      const dir = tempDir();
      const results = await storeFiles([writeSyntheticInstance(dir).file, writeSyntheticInstance(dir).file], {
        host: '127.0.0.1',
        port: scp.port,
        calledAeTitle: 'STORESCP',
        callingAeTitle: 'PACSAI',
        timeoutMs: 10000,
      });
      for (const r of results) {
        expect(r).toMatchObject({ statusClass: 'failure', status: -1 });
        expect(r.message).toMatch(message);
      }
      if (flag !== '--refuse') expect(results.every((r) => r.retryable)).toBe(true);
    } finally {
      await scp.stop();
    }
  });

  test('abort mid-delivery is retried (FakeClock) and delivered once the peer behaves', async () => {
    let scp = await startStorescp(['--abort-after']);
    const port = scp.port;
    const { svc, clock } = testDeliveryService(
      { pacs: { url: `dimse://STORESCP@127.0.0.1:${port}`, initialBackoffSeconds: 2 } },
      { random: () => 0 },
    );
    const f = writeSyntheticInstance(tempDir());
    try {
      svc.enqueue([asEncodedObject(f)], ['pacs']);
      const [first] = await svc.processDue();
      expect(first).toMatchObject({ status: 'failure', statusCode: null, retryable: true });
      await scp.stop();
      scp = await startStorescp([], port);
      clock.advance(1000);
      expect((await svc.processDue())[0]).toMatchObject({ status: 'success', statusCode: 0 });
      expect(fs.readdirSync(scp.dir)).toHaveLength(1);
    } finally {
      await scp.stop();
    }
  });

  test('TLS (PS3.15 B.1): delivered when the CA is configured; an untrusted certificate is a dead letter', async () => {
    const { key, cert } = selfSignedCert(tempDir('tls-'), {
      commonName: 'localhost',
      subjectAltName: 'IP:127.0.0.1,DNS:localhost',
    });
    const scp = await startStorescp(['+tls', key, cert, '-ic']);
    try {
      const { svc } = testDeliveryService({
        trusted: { url: `dimse://STORESCP@127.0.0.1:${scp.port}`, tls: { ca: cert } },
        untrusted: { url: `dimse://STORESCP@127.0.0.1:${scp.port}`, tls: {} },
      });
      svc.enqueue([asEncodedObject(writeSyntheticInstance(tempDir()))], ['trusted']);
      svc.enqueue([asEncodedObject(writeSyntheticInstance(tempDir()))], ['untrusted']);
      const outcomes = await svc.processDue();
      const byDest = Object.fromEntries(outcomes.map((o) => [o.destination, o]));
      expect(byDest.trusted).toMatchObject({ status: 'success', statusCode: 0 });
      expect(byDest.untrusted).toMatchObject({ status: 'failure', retryable: false });
      expect(svc.list({ state: 'dead' }).map((r) => r.destination)).toEqual(['untrusted']);
      expect(fs.readdirSync(scp.dir)).toHaveLength(1);
    } finally {
      await scp.stop();
    }
  });
});
