import { Readable } from 'node:stream';
import { parseContentType, parseMultipartRelated } from '../../../src/api/multipartRelated';
import { LimitExceededError, NodeError } from '../../../src/pipeline/errors';

/** Feeds a body in chunks of `size` bytes, to cross every boundary at every offset. */
function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

async function collect(
  input: Readable,
  boundary: string,
  maxBytes = 1e9,
): Promise<Array<{ headers: Record<string, string>; body: string }>> {
  const out: Array<{ headers: Record<string, string>; body: string }> = [];
  await parseMultipartRelated(input, boundary, { maxBytes }, async (p) => {
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(c as Buffer);
    out.push({ headers: p.headers, body: Buffer.concat(chunks).toString('latin1') });
  });
  return out;
}

const body = Buffer.from(
  'preamble\r\n--b1\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--b2 \r\n-b1\r\n--b1\r\nContent-Type: application/dicom\r\nContent-Location: x\r\n\r\nsecond part\r\n--b1--\r\nepilogue',
);

describe('parseMultipartRelated (RFC 2046 5.1.1)', () => {
  jest.setTimeout(10000);

  it.each([1, 2, 3, 7, 64, 10000])('splits parts identically when fed %i bytes at a time', async (size) => {
    const parts = await collect(chunked(body, size), 'b1');
    expect(parts.map((p) => p.body)).toEqual(['first\r\n--b2 \r\n-b1', 'second part']);
    expect(parts[1]!.headers).toEqual({ 'content-type': 'application/dicom', 'content-location': 'x' });
  });

  it('accepts a first delimiter at the very start and parts without headers', async () => {
    const parts = await collect(Readable.from([Buffer.from('--q\r\n\r\nabc\r\n--q--')]), 'q');
    expect(parts).toEqual([{ headers: {}, body: 'abc' }]);
  });

  it('streams a large part without holding it whole (backpressure) and keeps every byte', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const msg = Buffer.concat([
      Buffer.from('--z\r\nContent-Type: application/dicom\r\n\r\n'),
      big,
      Buffer.from('\r\n--z--\r\n'),
    ]);
    let n = 0;
    await parseMultipartRelated(chunked(msg, 65536), 'z', { maxBytes: 1e9 }, async (p) => {
      for await (const c of p.body) n += (c as Buffer).length;
    });
    expect(n).toBe(big.length);
  });

  it('discards the rest of a part whose handler returns early', async () => {
    const seen: number[] = [];
    await parseMultipartRelated(chunked(body, 5), 'b1', { maxBytes: 1e9 }, async (p) => {
      seen.push(p.index);
    });
    expect(seen).toEqual([0, 1]);
  });

  it('fails past maxBytes with LimitExceededError', async () => {
    await expect(collect(chunked(body, 16), 'b1', 40)).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('fails when the close delimiter never comes', async () => {
    await expect(collect(Readable.from([Buffer.from('--b1\r\n\r\nabc')]), 'b1')).rejects.toBeInstanceOf(
      NodeError,
    );
  });

  it('parses Content-Type parameters with quotes', () => {
    expect(parseContentType('multipart/related; type="application/dicom"; boundary="a;b"')).toEqual({
      mediaType: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'a;b' },
    });
  });
});
