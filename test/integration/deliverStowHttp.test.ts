import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import { storeFiles } from '../../src/dicom/dimse';
import { parseMultipart } from '../../src/deliver';
import { tempDir } from '../helpers/env';
import { asEncodedObject, writeSyntheticInstance } from '../unit/deliver/syntheticDicom';
import { testDeliveryService, type DestinationInputs } from './testDeliveryService';

jest.setTimeout(30000);

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A loopback HTTP server that records STOW-RS requests and answers with a scripted status/body. */
async function recorder(
  reply: (seen: Seen) => { status: number; body: unknown },
): Promise<{ port: number; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, { 'content-type': 'application/dicom+json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function setup(url: string, extra: Omit<DestinationInputs[string], 'url'> = {}) {
  return testDeliveryService({ web: { url, ...extra } }).svc;
}

describe('STOW-RS request on the wire (PS3.18 10.5.1)', () => {
  test('POST {base}/studies, multipart/related; type="application/dicom", exact length, basic auth, DICOM JSON accepted', async () => {
    const srv = await recorder(() => ({ status: 200, body: {} }));
    try {
      const svc = setup(`dicomweb+http://127.0.0.1:${srv.port}/dicom-web/`, {
        auth: { type: 'basic', username: 'alice', password: 's3cret' },
      });
      const dir = tempDir();
      const a = writeSyntheticInstance(dir);
      const b = writeSyntheticInstance(dir, { rows: 300, columns: 300 });
      svc.enqueue(
        [a, b].map((f) => asEncodedObject(f)),
        ['web'],
      );
      const outcomes = await svc.processDue();
      expect(outcomes.map((o) => o.status)).toEqual(['success', 'success']);
      expect(srv.seen).toHaveLength(1);
      const req = srv.seen[0]!;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/dicom-web/studies');
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
      expect(req.headers.accept).toBe('application/dicom+json');
      expect(Number(req.headers['content-length'])).toBe(req.body.length);
      const m = /^multipart\/related; type="application\/dicom"; boundary=(\S+)$/.exec(
        String(req.headers['content-type']),
      );
      expect(m).not.toBeNull();
      const parts = parseMultipart(req.body, m![1]!);
      expect(parts.map((p) => p.headers['content-type'])).toEqual(['application/dicom', 'application/dicom']);
      expect(parts[0]!.body.equals(fs.readFileSync(a.file))).toBe(true);
      expect(parts[1]!.body.equals(fs.readFileSync(b.file))).toBe(true);
    } finally {
      await srv.close();
    }
  });

  test('bearer auth; a 202 with FailedSOPSequence: per-instance FailureReason recorded, retryable one retried', async () => {
    const dir = tempDir();
    const a = writeSyntheticInstance(dir);
    const b = writeSyntheticInstance(dir);
    const srv = await recorder(() => ({
      status: 202,
      body: {
        '00081199': {
          vr: 'SQ',
          Value: [
            {
              '00081155': { vr: 'UI', Value: [a.sopInstanceUid] },
              '00081196': { vr: 'US', Value: [0xb000] },
            },
          ],
        },
        '00081198': {
          vr: 'SQ',
          Value: [
            {
              '00081155': { vr: 'UI', Value: [b.sopInstanceUid] },
              '00081197': { vr: 'US', Value: [0xa700] },
            },
          ],
        },
      },
    }));
    try {
      const svc = setup(`dicomweb+http://127.0.0.1:${srv.port}`, {
        auth: { type: 'bearer', token: 'tok-123' },
      });
      svc.enqueue(
        [a, b].map((f) => asEncodedObject(f)),
        ['web'],
      );
      await svc.processDue();
      expect(srv.seen[0]!.headers.authorization).toBe('Bearer tok-123');
      expect(srv.seen[0]!.url).toBe('/studies');
      const rows = svc.list({});
      expect(rows[0]).toMatchObject({
        state: 'delivered',
        last_status: 0xb000,
        last_status_class: 'warning',
      });
      expect(rows[1]).toMatchObject({
        state: 'pending',
        attempts: 1,
        last_status: 0xa700,
        last_status_class: 'failure',
      });
    } finally {
      await srv.close();
    }
  });
});

describe('TCP_NODELAY on every socket of ours', () => {
  test('DIMSE and STOW-RS sockets call setNoDelay(true)', async () => {
    const spy = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    const srv = await recorder(() => ({ status: 200, body: {} }));
    try {
      const f = writeSyntheticInstance(tempDir());
      // An HTTP server is no SCP: the association fails, but the socket was opened first.
      await storeFiles([f.file], {
        host: '127.0.0.1',
        port: srv.port,
        calledAeTitle: 'X',
        callingAeTitle: 'Y',
        timeoutMs: 2000,
      });
      expect(spy).toHaveBeenCalledWith(true);
      spy.mockClear();
      const svc = setup(`dicomweb+http://127.0.0.1:${srv.port}`);
      svc.enqueue([asEncodedObject(f)], ['web']);
      await svc.processDue();
      expect(spy).toHaveBeenCalledWith(true);
    } finally {
      spy.mockRestore();
      await srv.close();
    }
  });
});
