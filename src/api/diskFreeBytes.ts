import fs from 'node:fs';

/** Free bytes available to the process on the file system holding `dir` (null when unknown). */
export async function diskFreeBytes(dir: string): Promise<number | null> {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const s = await fs.promises.statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}
