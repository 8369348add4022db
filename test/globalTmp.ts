import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Jest globalSetup: every temp folder of the run (tests, the nodes and DCMTK tools they start,
 * which inherit TMPDIR) goes under one folder, removed by globalTeardown. KEEP_TEST_TMP=1 keeps it.
 */
export default function setup(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pacs-ai-node-jest-'));
  process.env.PACS_AI_NODE_TEST_TMP = root;
  process.env.TMPDIR = root;
}
