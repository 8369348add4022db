import fs from 'node:fs';
import path from 'node:path';

/**
 * The ids of the models installed under `modelsDir`: the names of its folders that hold a
 * `manifest.yaml` (ARCHITECTURE.md: `models/<id>/manifest.yaml`). Null when the folder does not
 * exist, so rules are then validated without checking model ids.
 */
export function scanModelIds(modelsDir: string): string[] | null {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(modelsDir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return null;
    throw e;
  }
  return entries
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(modelsDir, d.name, 'manifest.yaml')))
    .map((d) => d.name)
    .sort();
}
