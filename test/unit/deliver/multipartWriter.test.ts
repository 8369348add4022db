import fs from 'node:fs';
import path from 'node:path';
import { multipartRelated, parseMultipart } from '../../../src/deliver';
import { tempDir } from '../../helpers/env';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('multipart/related writer (PS3.18 8.6.1.2, RFC 2387)', () => {
  test('streams files with an exact Content-Length; the parser gets them back byte for byte', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a.dcm');
    const b = path.join(dir, 'b.dcm');
    fs.writeFileSync(a, Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]));
    fs.writeFileSync(b, Buffer.alloc(600 * 1024, 7));
    const body = multipartRelated([
      { filePath: a, size: 8, contentType: 'application/dicom' },
      { filePath: b, size: 600 * 1024, contentType: 'application/dicom' },
    ]);
    expect(body.contentType).toBe(`multipart/related; type="application/dicom"; boundary=${body.boundary}`);
    const bytes = await collect(body.stream());
    expect(bytes.length).toBe(body.contentLength);
    const parts = parseMultipart(bytes, body.boundary);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.headers['content-type']).toBe('application/dicom');
    expect(parts[0]!.body.equals(fs.readFileSync(a))).toBe(true);
    expect(parts[1]!.body.equals(fs.readFileSync(b))).toBe(true);
    expect(bytes.subarray(-(body.boundary.length + 6)).toString()).toBe(`--${body.boundary}--\r\n`);
  });

  test('a file that changed size fails the stream instead of sending a wrong body', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a.dcm');
    fs.writeFileSync(a, Buffer.alloc(10));
    const body = multipartRelated([{ filePath: a, size: 20, contentType: 'application/dicom' }]);
    await expect(collect(body.stream())).rejects.toThrow(/changed/);
  });

  test('each boundary is fresh', () => {
    expect(multipartRelated([]).boundary).not.toBe(multipartRelated([]).boundary);
  });
});
