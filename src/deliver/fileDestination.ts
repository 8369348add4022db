import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidUid } from '../dicom/uid';
import type { Destination, DestinationContext, OutboxItem, SendResult } from './destination';

/** `file:///absolute/dir`. */
export function checkFileUrl(u: URL): string[] {
  if (u.hostname && u.hostname !== 'localhost')
    return [`file:// takes no host (got "${u.hostname}"); use file:///absolute/dir`];
  if (!u.pathname || u.pathname === '/') return ['file:// needs a folder: file:///absolute/dir'];
  return [];
}

/**
 * Writes `<dir>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`: copied to a temp
 * file in the target folder, fsynced, renamed over any previous copy (a re-delivery replaces),
 * and the folder fsynced. UIDs are checked (PS3.5 9.1) before they become path components.
 */
export function createFileDestination(u: URL, ctx: DestinationContext): Destination {
  const root = fileURLToPath(u);
  const writeOne = async (item: OutboxItem): Promise<SendResult> => {
    for (const uid of [item.studyInstanceUid, item.seriesInstanceUid, item.sopInstanceUid]) {
      if (!isValidUid(uid))
        return {
          statusClass: 'failure',
          status: null,
          retryable: false,
          message: `not a valid UID, not used as a path: ${JSON.stringify(uid.slice(0, 70))}`,
        };
    }
    const dir = path.join(root, item.studyInstanceUid, item.seriesInstanceUid);
    const target = path.join(dir, `${item.sopInstanceUid}.dcm`);
    const tmp = path.join(dir, `.${item.sopInstanceUid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.copyFile(item.filePath, tmp);
      const fh = await fs.open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, target);
      const dh = await fs.open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
      return {
        statusClass: 'success',
        status: null,
        retryable: false,
        message: `written ${path.relative(root, target)}`,
      };
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code ?? '';
      // A missing source file will not appear by waiting; a full or unmounted disk may recover.
      const sourceMissing = !(await exists(item.filePath));
      return {
        statusClass: 'failure',
        status: null,
        retryable: !sourceMissing,
        message: sourceMissing
          ? 'the result file to deliver is missing'
          : `cannot write: ${code || (e as Error).message}`,
      };
    }
  };
  return {
    name: ctx.name,
    async send(items) {
      const out: SendResult[] = [];
      for (const item of items) out.push(await writeOne(item));
      return out;
    },
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
