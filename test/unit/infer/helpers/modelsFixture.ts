import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { tempDir } from '../../../helpers/env';
import { REPO_MODELS_DIR } from './repoModels';

/** A temporary models folder holding copies of committed test models. */
export function modelsFixture(ids: string[]): string {
  const dir = tempDir('infer-models-');
  for (const id of ids) fs.cpSync(path.join(REPO_MODELS_DIR, id), path.join(dir, id), { recursive: true });
  return dir;
}

/** Copies test model `from` under a new id with its manifest changed by `patch`. */
export function deriveModel(
  modelsDir: string,
  from: string,
  id: string,
  patch: (m: Record<string, unknown>) => void,
): string {
  const dir = path.join(modelsDir, id);
  fs.cpSync(path.join(REPO_MODELS_DIR, from), dir, { recursive: true });
  const m = YAML.parse(fs.readFileSync(path.join(dir, 'manifest.yaml'), 'utf8')) as Record<string, unknown>;
  m.id = id;
  patch(m);
  fs.writeFileSync(path.join(dir, 'manifest.yaml'), YAML.stringify(m));
  return dir;
}
