import fs from 'node:fs';
import path from 'node:path';
import { createFileSync } from '../../../src/store/openFile';
import { tempDir } from '../../helpers/env';

describe('createFileSync', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('pacs-ai-node-openfile-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('creates a new file, mode 0640; writes, syncs and closes it; close is synchronous and once', async () => {
    const file = path.join(dir, 'a.tmp');
    const f = createFileSync(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640 & ~process.umask());
    const { bytesWritten } = await f.writev([Buffer.from('DI'), Buffer.from('CM')]);
    expect(bytesWritten).toBe(4);
    await f.sync();
    const closing = f.close();
    // Closed before the promise is awaited: the descriptor is gone already.
    expect(() => fs.fstatSync(f.fd)).toThrow(/EBADF/);
    await closing;
    await f.close(); // a second close does nothing (the number may belong to another file by now)
    expect(fs.readFileSync(file, 'latin1')).toBe('DICM');
  });

  test('never opens an existing file', () => {
    const file = path.join(dir, 'b.tmp');
    fs.writeFileSync(file, 'kept');
    expect(() => createFileSync(file)).toThrow(/EEXIST/);
    expect(fs.readFileSync(file, 'latin1')).toBe('kept');
  });
});
