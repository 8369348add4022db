import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** SHA-256 of a file, lowercase hex, streamed (model files may be large). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => h.update(chunk))
      .on('end', () => resolve(h.digest('hex')));
  });
}
