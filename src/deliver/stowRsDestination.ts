import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Destination, DestinationContext, OutboxItem, SendResult } from './destination';
import { multipartRelated } from './multipartWriter';
import { interpretStowResponse } from './stowResponse';
import { loadPem } from './tlsMaterial';

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 120000;

/** `dicomweb+http://host:port/path` or `dicomweb+https://...`: the DICOMweb base URL. */
export function checkStowUrl(u: URL): string[] {
  const problems: string[] = [];
  if (!u.hostname) problems.push(`${u.protocol}// needs a host`);
  if (u.username || u.password) problems.push('put credentials in the destination auth, not in the URL');
  if (u.search || u.hash) problems.push('the DICOMweb base URL takes no query or fragment');
  return problems;
}

/** The http(s) URL of `{base}/studies` (PS3.18 10.5 Store Transaction). */
export function stowStudiesUrl(u: URL): URL {
  const target = new URL(u.href.replace(/^dicomweb\+/i, ''));
  target.pathname = `${target.pathname.replace(/\/+$/, '')}/studies`;
  return target;
}

/**
 * Delivery by STOW-RS (PS3.18 10.5): one POST per batch, multipart/related;
 * type="application/dicom", file bodies streamed from disk with an exact Content-Length, basic
 * or bearer auth, the response data set (Accept: application/dicom+json) read per instance.
 */
export function createStowRsDestination(u: URL, ctx: DestinationContext): Destination {
  const target = stowStudiesUrl(u);
  const secure = target.protocol === 'https:';
  const auth = ctx.config.auth;
  const authorization =
    auth?.type === 'basic'
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`
      : auth?.type === 'bearer'
        ? `Bearer ${auth.token}`
        : undefined;
  return {
    name: ctx.name,
    async send(items: readonly OutboxItem[]): Promise<SendResult[]> {
      const uids = items.map((i) => i.sopInstanceUid);
      let parts;
      try {
        parts = await Promise.all(
          items.map(async (i) => ({
            filePath: i.filePath,
            size: (await fs.stat(i.filePath)).size,
            contentType: 'application/dicom',
          })),
        );
      } catch (e) {
        return uids.map(() => ({
          statusClass: 'failure',
          status: null,
          retryable: false,
          message: `the result file to deliver is missing: ${(e as Error).message}`,
        }));
      }
      const body = multipartRelated(parts);
      const t = ctx.config.tls;
      const tlsOptions =
        secure && t
          ? {
              ca: await loadPem(t.ca),
              cert: await loadPem(t.cert),
              key: await loadPem(t.key),
              rejectUnauthorized: t.rejectUnauthorized,
            }
          : {};
      try {
        const res = await post(
          target,
          secure,
          tlsOptions,
          {
            'content-type': body.contentType,
            'content-length': String(body.contentLength),
            accept: 'application/dicom+json',
            ...(authorization ? { authorization } : {}),
          },
          body.stream(),
        );
        let json: unknown = null;
        if (res.body.length > 0 && /json/i.test(res.contentType)) {
          try {
            json = JSON.parse(res.body.toString('utf8'));
          } catch {
            json = null;
          }
        }
        return interpretStowResponse(res.status, json, uids);
      } catch (e) {
        return uids.map(() => ({
          statusClass: 'failure',
          status: null,
          retryable: true,
          message: `STOW-RS request failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        }));
      }
    },
  };
}

function post(
  url: URL,
  secure: boolean,
  tlsOptions: https.RequestOptions,
  headers: Record<string, string>,
  body: NodeJS.ReadableStream,
): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, { method: 'POST', headers, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.on('socket', (s) => s.setNoDelay(true));
    req.setTimeout(DEFAULT_TIMEOUT_MS, () =>
      req.destroy(new Error(`no response within ${DEFAULT_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    body.on('error', (e) => req.destroy(e));
    body.pipe(req);
  });
}
