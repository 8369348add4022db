import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { readPart10Meta, storeFiles, formatStatus, NO_DIMSE_STATUS, type StoreResult } from '../dicom/dimse';
import { ConfigError } from '../pipeline/errors';

/** Options of `pacs-ai-node send`. */
export interface SendOptions {
  host: string;
  port: number;
  calledAet: string;
  callingAet: string;
  timeout: number;
}

/** Every regular file under the given files and folders, recursively, in a stable order. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await fs.stat(p);
    if (st.isDirectory()) {
      const names = (await fs.readdir(p)).sort();
      for (const n of names) await visit(path.join(p, n));
    } else if (st.isFile()) {
      out.push(p);
    }
  };
  for (const p of paths) {
    try {
      await visit(p);
    } catch (e) {
      throw new ConfigError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return out;
}

/** Summary counts of a send: warnings count as sent (PS3.7 C.4.2.1.5: the instance was stored). */
export function summarize(results: readonly StoreResult[]): {
  sent: number;
  warnings: number;
  failed: number;
} {
  let sent = 0;
  let warnings = 0;
  let failed = 0;
  for (const r of results) {
    if (r.statusClass === 'failure') failed++;
    else {
      sent++;
      if (r.statusClass === 'warning') warnings++;
    }
  }
  return { sent, warnings, failed };
}

/**
 * Sends files as our own C-STORE SCU (demos and benchmarks: the node as a modality). Resolves to
 * the exit code: 0 only when every DICOM file was stored (warnings included).
 */
export async function runSend(
  paths: readonly string[],
  o: SendOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const files = await collectFiles(paths);
  const dicom: string[] = [];
  for (const f of files) {
    try {
      await readPart10Meta(f);
      dicom.push(f);
    } catch {
      out.write(`skipped (not DICOM Part 10): ${f}\n`);
    }
  }
  const started = process.hrtime.bigint();
  const results = dicom.length
    ? await storeFiles(dicom, {
        host: o.host,
        port: o.port,
        calledAeTitle: o.calledAet,
        callingAeTitle: o.callingAet,
        timeoutMs: o.timeout * 1000,
      })
    : [];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const s = summarize(results);
  for (const r of results) {
    if (r.statusClass === 'success') continue;
    const code = r.status === NO_DIMSE_STATUS ? '----' : formatStatus(r.status);
    out.write(
      `${r.statusClass === 'warning' ? 'warning' : 'failed'}: ${r.file} ${r.sopInstanceUid || '-'} status ${code}: ${r.message}\n`,
    );
  }
  const rate = seconds > 0 ? results.length / seconds : 0;
  out.write(
    `sent ${s.sent}, warnings ${s.warnings}, failed ${s.failed}, skipped ${files.length - dicom.length} in ${seconds.toFixed(2)} s (${rate.toFixed(1)} images/s)\n`,
  );
  return s.failed === 0 ? 0 : 1;
}

const intArg =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0 || n > 65535)
      throw new ConfigError(`${name} must be an integer 1..65535, got ${JSON.stringify(v)}`);
    return n;
  };

/** Registers `pacs-ai-node send <files|dirs...>`. */
export function registerSendCommand(program: Command): void {
  program
    .command('send')
    .description('Send DICOM files (folders walked recursively) to a C-STORE SCP, as our own SCU')
    .argument('<paths...>', 'files or folders')
    .requiredOption('--host <host>', 'host of the SCP')
    .requiredOption('--port <port>', 'port of the SCP', intArg('--port'))
    .requiredOption('--called-aet <aet>', 'AE title of the SCP')
    .option('--calling-aet <aet>', 'our AE title', 'PACSAI')
    .option('--timeout <seconds>', 'connect / response timeout', intArg('--timeout'), 30)
    .action(async (paths: string[], o: SendOptions) => {
      process.exitCode = await runSend(paths, o);
    });
}
