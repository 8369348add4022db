import fs from 'node:fs';

/** Jest globalTeardown: removes the run's temp folder made by test/globalTmp.ts. */
export default function teardown(): void {
  const root = process.env.PACS_AI_NODE_TEST_TMP;
  if (!root || process.env.KEEP_TEST_TMP) return;
  fs.rmSync(root, { recursive: true, force: true });
}
