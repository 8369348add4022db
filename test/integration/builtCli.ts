import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/** The repository root, where the built CLI runs. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The CLI entry point (it loads dist/). */
export const BIN = path.join(ROOT, 'bin', 'pacs-ai-node.js');

/** Builds dist/ for the suites that run the built CLI (type errors elsewhere do not stop tsc from emitting). */
export function buildCli(): void {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore', timeout: 170_000 });
  expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
}

/** A `serve` child process and the DIMSE port it listens on. */
export interface RunningNode {
  child: ChildProcessWithoutNullStreams;
  port: number;
}

/** Starts the built CLI's `serve` with `args` and resolves with its DIMSE port from the `node.started` line (bounded wait). */
export function startServe(args: string[]): Promise<RunningNode> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node.started not seen within 30 s')), 30_000);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"node.started"')) return;
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(line) as { dimsePort: number }).dimsePort });
    });
  });
}
