import { PassThrough, type Readable } from 'node:stream';
import { LimitExceededError, NodeError } from '../pipeline/errors';

/** One body part of a multipart/related message (RFC 2387), its body streamed. */
export interface MultipartPart {
  /** Part headers, names lower-cased. */
  headers: Record<string, string>;
  /** The body; must be consumed (or the handler must return) for parsing to go on. */
  body: Readable;
  /** 0-based index of the part. */
  index: number;
}

export interface MultipartOptions {
  /** The whole message may not exceed this many bytes (LimitExceededError). */
  maxBytes: number;
  /** Most header bytes one part may have. */
  maxHeaderBytes?: number;
}

/** Media type parameters of a Content-Type value, names lower-cased, quotes removed. */
export function parseContentType(value: string | undefined): {
  mediaType: string;
  params: Record<string, string>;
} {
  const [type = '', ...rest] = splitParams(value ?? '');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i <= 0) continue;
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, i).trim().toLowerCase()] = v;
  }
  return { mediaType: type.trim().toLowerCase(), params };
}

function splitParams(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const CRLF = Buffer.from('\r\n');

/**
 * A streaming multipart/related parser (RFC 2046 5.1.1, RFC 2387; PS3.18 8.6.1.2): reads the
 * input chunk by chunk, never holding more than a chunk plus a delimiter in memory, and hands
 * each part's body to `onPart` as a stream with backpressure. Parts are handled one at a time.
 * A part whose handler returns before reading its body has the rest of the body discarded.
 * Resolves with the number of parts.
 */
export async function parseMultipartRelated(
  input: Readable,
  boundary: string,
  opts: MultipartOptions,
  onPart: (part: MultipartPart) => Promise<void>,
): Promise<number> {
  // RFC 2046 allows 70 characters; tolerant when reading (Orthanc sends 73), bounded all the same.
  if (!boundary || boundary.length > 256)
    throw new NodeError('BAD_REQUEST', 'multipart boundary missing or longer than 256 characters');
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const maxHeader = opts.maxHeaderBytes ?? 16 * 1024;
  // A leading CRLF lets the first delimiter, which may start the message, match like the others.
  let buf: Buffer = Buffer.from(CRLF);
  let total = 0;
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done' = 'preamble';
  let parts = 0;
  let current: { body: PassThrough; done: Promise<void>; finished: boolean; error: unknown } | null = null;

  const startPart = (headers: Record<string, string>): void => {
    const body = new PassThrough({ highWaterMark: 256 * 1024 });
    const part = { body, finished: false, error: undefined as unknown, done: Promise.resolve() };
    part.done = onPart({ headers, body, index: parts++ }).then(
      () => {
        part.finished = true;
      },
      (e: unknown) => {
        part.finished = true;
        part.error = e;
      },
    );
    current = part;
  };

  const write = async (chunk: Buffer): Promise<void> => {
    const p = current;
    if (!p || p.finished || chunk.length === 0) return;
    if (!p.body.write(chunk)) {
      await Promise.race([new Promise<void>((r) => p.body.once('drain', r)), p.done]);
    }
  };

  const endPart = async (): Promise<void> => {
    const p = current;
    if (!p) return;
    current = null;
    if (!p.finished) p.body.end();
    await p.done;
    if (!p.body.destroyed) p.body.resume();
    if (p.error) throw p.error;
  };

  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > opts.maxBytes)
        throw new LimitExceededError(`the request exceeds http.maxStowBytes (${opts.maxBytes} bytes)`);
      if (state === 'done') continue;
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (state === 'preamble') {
          const i = buf.indexOf(delimiter);
          if (i < 0) {
            buf = buf.subarray(Math.max(0, buf.length - delimiter.length + 1));
            break;
          }
          buf = buf.subarray(i + delimiter.length);
          state = 'after-delimiter';
        } else if (state === 'after-delimiter') {
          if (buf.length < 2) break;
          if (buf[0] === 0x2d && buf[1] === 0x2d) {
            state = 'done';
            buf = Buffer.alloc(0);
            break;
          }
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            if (buf.length > 1024) throw new NodeError('BAD_REQUEST', 'malformed multipart delimiter line');
            break;
          }
          if (buf.subarray(0, eol).toString('latin1').trim() !== '')
            throw new NodeError('BAD_REQUEST', 'malformed multipart delimiter line');
          buf = buf.subarray(eol + 2);
          state = 'headers';
        } else if (state === 'headers') {
          let headerText: string;
          if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
            headerText = '';
            buf = buf.subarray(2);
          } else {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) {
              if (buf.length > maxHeader)
                throw new NodeError('BAD_REQUEST', 'multipart part headers too long');
              break;
            }
            headerText = buf.subarray(0, end).toString('latin1');
            buf = buf.subarray(end + 4);
          }
          startPart(parseHeaders(headerText));
          state = 'body';
        } else if (state === 'body') {
          const i = buf.indexOf(delimiter);
          if (i < 0) {
            const keep = delimiter.length - 1;
            if (buf.length > keep) {
              const out = buf.subarray(0, buf.length - keep);
              buf = Buffer.from(buf.subarray(buf.length - keep));
              await write(out);
            }
            break;
          }
          await write(buf.subarray(0, i));
          buf = Buffer.from(buf.subarray(i + delimiter.length));
          await endPart();
          state = 'after-delimiter';
        } else break;
      }
    }
  } catch (e) {
    const p = current as { body: PassThrough } | null;
    p?.body.destroy(e as Error);
    throw e;
  }
  if (state !== 'done') {
    const p = current as { body: PassThrough } | null;
    const err = new NodeError('BAD_REQUEST', 'the multipart message ends before its close delimiter');
    p?.body.destroy(err);
    throw err;
  }
  return parts;
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Reads a stream into one buffer, failing past `maxBytes`. For small bodies only. */
export async function readAll(input: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of input as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > maxBytes) throw new LimitExceededError(`the body exceeds ${maxBytes} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
