import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';

/** One part of a multipart/related body: a file streamed from disk. */
export interface FilePart {
  filePath: string;
  size: number;
  contentType: string;
}

/** A streaming multipart/related body with its exact length (PS3.18 8.6.1.2, RFC 2387). */
export interface MultipartBody {
  boundary: string;
  /** The Content-Type header value. */
  contentType: string;
  contentLength: number;
  /** A fresh stream of the body each call: file bytes are read as they are sent. */
  stream(): Readable;
}

/** A boundary that cannot occur by chance in the data (RFC 2046 5.1.1: at most 70 characters). */
export function newBoundary(): string {
  return `pacs-ai-node-${crypto.randomBytes(18).toString('hex')}`;
}

/**
 * Builds `multipart/related; type="application/dicom"; boundary=...` (PS3.18 10.5.1.1 STOW-RS
 * request payload) over files without reading them into memory.
 */
export function multipartRelated(
  parts: readonly FilePart[],
  type = 'application/dicom',
  boundary = newBoundary(),
): MultipartBody {
  const head = (p: FilePart): Buffer =>
    Buffer.from(`--${boundary}\r\nContent-Type: ${p.contentType}\r\n\r\n`, 'ascii');
  const crlf = Buffer.from('\r\n', 'ascii');
  const tail = Buffer.from(`--${boundary}--\r\n`, 'ascii');
  const contentLength = parts.reduce((n, p) => n + head(p).length + p.size + crlf.length, 0) + tail.length;
  return {
    boundary,
    contentType: `multipart/related; type="${type}"; boundary=${boundary}`,
    contentLength,
    stream(): Readable {
      async function* body(): AsyncGenerator<Buffer> {
        for (const p of parts) {
          yield head(p);
          let n = 0;
          for await (const chunk of fs.createReadStream(p.filePath, { highWaterMark: 256 * 1024 })) {
            n += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          if (n !== p.size)
            throw new Error(`file changed while sending: ${p.size} bytes expected, ${n} read`);
          yield crlf;
        }
        yield tail;
      }
      return Readable.from(body(), { objectMode: false });
    },
  };
}

/**
 * Splits a multipart body held in memory into its parts (headers lower-cased), for reading
 * multipart responses and for tests of the writer. RFC 2046 5.1.1.
 */
export function parseMultipart(
  body: Buffer,
  boundary: string,
): Array<{ headers: Record<string, string>; body: Buffer }> {
  const delim = Buffer.from(`--${boundary}`, 'ascii');
  const out: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  let p = body.indexOf(delim);
  while (p >= 0) {
    let start = p + delim.length;
    if (body.subarray(start, start + 2).toString('ascii') === '--') break;
    if (body.subarray(start, start + 2).toString('ascii') === '\r\n') start += 2;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`, 'ascii'), start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const sep = part.indexOf('\r\n\r\n');
    const headerText = sep >= 0 ? part.subarray(0, sep).toString('latin1') : '';
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    out.push({ headers, body: sep >= 0 ? part.subarray(sep + 4) : part });
    p = next + 2;
  }
  return out;
}
