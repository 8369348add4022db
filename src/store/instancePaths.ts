import crypto from 'node:crypto';
import path from 'node:path';

/**
 * Every file name under the data directory is made by the node (PRODUCT.md 1): never derived
 * from a received string. Instances: `instances/<2 hex>/<uuid>.dcm`; temp files: `tmp/<uuid>.part`.
 */
export const INSTANCES_DIR = 'instances';
export const TEMP_DIR = 'tmp';

/** The 256 folders under `instances/`: `00` … `ff`, the first two hex digits of the name. */
export const INSTANCE_FOLDERS: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

/** A fresh temp file path under `<dataDir>/tmp/`. */
export function newTempPath(dataDir: string): string {
  return path.join(dataDir, TEMP_DIR, `${crypto.randomUUID()}.part`);
}

/** A fresh final name, relative to the data directory: `instances/ab/<uuid>.dcm`. */
export function newInstanceRelativePath(): string {
  const id = crypto.randomUUID();
  return path.posix.join(INSTANCES_DIR, id.slice(0, 2), `${id}.dcm`);
}
