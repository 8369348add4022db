import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { NodeError, formatIssues } from '../../pipeline/errors';
import { modelManifestSchema, type ModelManifest } from './modelManifestSchema';

/** The manifest file name inside a model folder. */
export const MANIFEST_FILE = 'manifest.yaml';

/** Validates a parsed manifest; throws NodeError('MANIFEST_INVALID') listing every problem with its path. */
export function parseManifest(raw: unknown, where = MANIFEST_FILE): ModelManifest {
  const r = modelManifestSchema.safeParse(raw);
  if (!r.success)
    throw new NodeError('MANIFEST_INVALID', `${where}: invalid model manifest`, formatIssues(r.error.issues));
  return Object.freeze(r.data) as ModelManifest;
}

/**
 * Reads and validates `<dir>/manifest.yaml` (docs/models.md).
 * @throws NodeError MANIFEST_INVALID when unreadable, not YAML, or invalid.
 */
export async function loadManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new NodeError('MANIFEST_INVALID', `${file}: cannot read manifest`, [(e as Error).message], {
      cause: e,
    });
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new NodeError('MANIFEST_INVALID', `${file}: not valid YAML`, [(e as Error).message], { cause: e });
  }
  return parseManifest(raw, file);
}
