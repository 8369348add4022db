import { type Command } from 'commander';
import { createApp } from '../app';
import { loadNodeConfig, type NodeConfigOverrides } from '../config/loadNodeConfig';
import { createLogger } from '../logging/logger';
import { ConfigError } from '../pipeline/errors';

/** Options of `serve` (each overrides node.yaml). */
export interface ServeOptions {
  config?: string;
  port?: number;
  aeTitle?: string;
  dataDir?: string;
  httpPort?: number;
  seriesQuietSeconds?: number;
  rules?: string;
  models?: string;
  destination?: string[];
}

/** `NAME=URL` pairs of --destination → a map; every malformed one is reported. */
export function parseDestinations(pairs: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1) problems.push(`--destination ${p}: expected NAME=URL`);
    else out[p.slice(0, i)] = p.slice(i + 1);
  }
  if (problems.length) throw new ConfigError('invalid --destination', problems);
  return out;
}

/** Resolves once SIGINT or SIGTERM arrives. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/**
 * `serve`: loads the configuration (every problem listed with its path), starts the node, prints
 * one `node.started` JSON line with the ports, and stops cleanly on SIGINT/SIGTERM.
 */
export async function runServe(
  o: ServeOptions,
  waitForStop: () => Promise<string> = untilSignal,
): Promise<number> {
  const overrides: NodeConfigOverrides = {
    port: o.port,
    aeTitle: o.aeTitle,
    dataDir: o.dataDir,
    httpPort: o.httpPort,
    seriesQuietSeconds: o.seriesQuietSeconds,
    rulesFile: o.rules,
    modelsDir: o.models,
    destinations: o.destination?.length ? parseDestinations(o.destination) : undefined,
  };
  const config = loadNodeConfig(o.config, overrides);
  const logger = createLogger({ level: config.logging.level });
  const app = createApp({ config, logger });
  const ports = await app.start();
  // Always printed, whatever the log level: scripts and supervisors read the ports from it.
  process.stdout.write(
    `${JSON.stringify({
      level: 'info',
      event: 'node.started',
      time: new Date().toISOString(),
      ...ports,
      aeTitle: app.config.aeTitle,
      dataDir: app.config.dataDir,
      pid: process.pid,
    })}\n`,
  );
  const signal = await waitForStop();
  logger.info('node.stopping', { signal });
  await app.stop();
  logger.info('node.stopped', {});
  return 0;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${name} must be a non-negative integer`, [`${name}: ${v}`]);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive number`, [`${name}: ${v}`]);
  return n;
};

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the node: DIMSE SCP, assembly, routing, inference, delivery')
    .option('--config <file>', 'node.yaml (default: the embedded default configuration)')
    .option('--port <n>', 'DIMSE port (0: any free port)', int('--port'))
    .option('--ae-title <aet>', 'our AE title')
    .option('--data-dir <dir>', 'data directory (spool, database)')
    .option('--http-port <n>', 'HTTP port', int('--http-port'))
    .option(
      '--series-quiet-seconds <n>',
      'quiet period that completes a series',
      positive('--series-quiet-seconds'),
    )
    .option('--rules <file>', 'routing rules file')
    .option('--models <dir>', 'models folder')
    .option(
      '--destination <name=url>',
      'a result destination (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (o: ServeOptions) => {
      process.exitCode = await runServe(o);
    });
}
