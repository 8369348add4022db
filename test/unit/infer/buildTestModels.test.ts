import fs from 'node:fs';
import path from 'node:path';
import { buildTestModels } from '../../../scripts/buildTestModels';
import { tempDir } from '../../helpers/env';
import { REPO_MODELS_DIR } from './helpers/repoModels';

describe('scripts/buildTestModels', () => {
  it('rebuilds the committed test models byte for byte (model.onnx and manifest.yaml)', () => {
    const out = tempDir('test-models-');
    const dirs = buildTestModels(out);
    expect(dirs.map((d) => path.basename(d)).sort()).toEqual([
      'test-bone-age-sex',
      'test-cxr-findings',
      'test-lung-seg',
      'test-nm-correct',
    ]);
    for (const d of dirs) {
      for (const f of ['model.onnx', 'manifest.yaml']) {
        const built = fs.readFileSync(path.join(d, f));
        const committed = fs.readFileSync(path.join(REPO_MODELS_DIR, path.basename(d), f));
        expect({ file: `${path.basename(d)}/${f}`, same: built.equals(committed) }).toEqual({
          file: `${path.basename(d)}/${f}`,
          same: true,
        });
      }
    }
  });
});
