import fs from 'node:fs';
import path from 'node:path';
import { scanModelIds } from '../../../src/route';
import { tempDir } from '../../helpers/env';

describe('scanModelIds', () => {
  it('lists the folders that hold a manifest.yaml, sorted', () => {
    const dir = tempDir();
    for (const id of ['zeta', 'alpha', 'no-manifest']) fs.mkdirSync(path.join(dir, id));
    fs.writeFileSync(path.join(dir, 'zeta', 'manifest.yaml'), 'id: zeta\n');
    fs.writeFileSync(path.join(dir, 'alpha', 'manifest.yaml'), 'id: alpha\n');
    fs.writeFileSync(path.join(dir, 'stray.yaml'), 'not a model\n');
    expect(scanModelIds(dir)).toEqual(['alpha', 'zeta']);
  });

  it('an empty folder has no models; a missing folder means unknown (null)', () => {
    const dir = tempDir();
    expect(scanModelIds(dir)).toEqual([]);
    expect(scanModelIds(path.join(dir, 'absent'))).toBeNull();
  });
});
