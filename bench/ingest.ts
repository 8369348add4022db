/**
 * Ingest benchmark (PRODUCT.md 8, docs/performance.md "Ingest").
 *
 * 1. Throughput: N synthetic 512x512 16-bit CT instances pushed by DCMTK storescu on one
 *    association, first to DCMTK storescp (writes files, acknowledges without fsync), then to the
 *    node (acknowledges only after fsync, rename and the index commit). Prints images/s for both
 *    and their ratio (target >= 0.5).
 * 2. Memory: the node's peak RSS (VmHWM of the `serve` child process) while it receives one
 *    200 MiB instance (target < 300 MB).
 *
 * Needs DCMTK (storescu, storescp, echoscu) and a built CLI (`npm run build`). Run from the
 * repository root:
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/benchbuild
 *   node /tmp/benchbuild/bench/ingest.js [instances=1000] [rounds=5] [warm-up instances=100]
 *
 * Each round pushes to storescp, then to a fresh node, each after a warm-up series and `sync`;
 * the figure is the median ratio. The measured push is 1,000 instances (a large CT series) by
 * default, so that what a receiver pays once weighs little: the CPU's boost in the first
 * seconds after idle, and the node's start-up transient (V8 compiling the per-instance path over
 * its first few hundred instances). Both rates are the storescu run's wall time, which includes
 * its start-up and file scan (about 85 ms for 1,000 files; the ratio of the association times
 * alone is about 0.01 lower). The third argument sets the size of the warm-up series (default
 * 100); each round prints both warm-up rates, so the cold node's figure stays in sight
 * (docs/performance.md "Ingest"). BENCH_NODE_ARGS adds node options to the served process (e.g. --cpu-prof).
 *
 * It uses node built-ins and the tests' element writer (the instances are written by hand,
 * PS3.10), so no NODE_PATH is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  freePort,
  generateLarge,
  generateSeries,
  ratesByHundred,
  run,
  startStorescp,
  stop,
  storescuPush,
  workFolder,
} from './ingestKit';

const ROOT = process.cwd();
const BIN = path.join(ROOT, 'bin', 'pacs-ai-node.js');
/** Starts `serve` with a fresh data directory; resolves with its port once `node.started` is printed. */
function startNode(dataDir: string, port: number): Promise<ChildProcess> {
  const config = path.join(dataDir, '..', `${path.basename(dataDir)}.yaml`);
  fs.writeFileSync(config, 'storage:\n  minFreeMb: 0\nlogging:\n  level: warn\nhttp:\n  enabled: false\n');
  // BENCH_NODE_ARGS: extra node options for the served process (e.g. "--cpu-prof").
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, BIN, 'serve', '--config', config, '--data-dir', dataDir, '--port', String(port)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the node did not start within 30 s')), 30_000);
    child.on('exit', (code) => reject(new Error(`the node exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"node.started"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/** VmHWM (peak resident set) of a process, in MiB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('run "npm run build" first (from the repository root)');
  const work = workFolder('pacs-ai-node-bench-');
  const input = path.join(work, 'in');
  fs.mkdirSync(input);
  generateSeries(input, count);
  // A separate series pushed first to each receiver: the node's JIT has compiled the receive
  // path (not all of the per-instance path: V8 needs some hundreds of instances for that, which
  // the measured push then includes), and storescp gets the same push.
  const warmupCount = Number(process.argv[4] ?? 100);
  const warmup = path.join(work, 'warmup');
  fs.mkdirSync(warmup);
  generateSeries(warmup, warmupCount);
  const mb = (count * fs.statSync(path.join(input, 'ct00001.dcm')).size) / (1024 * 1024);
  console.log(
    `${count} synthetic CT instances (512x512x16), ${mb.toFixed(0)} MiB, in ${input}; ${warmupCount} more to warm up each receiver`,
  );
  const push = (port: number, dir = input) => storescuPush(port, dir);

  // Rounds alternate the reference and the node, each on a fresh folder, after `sync`, so that
  // neither pays for the write-back of the other's files; the median ratio is the figure.
  const rounds = Number(process.argv[3] ?? 5);
  const ratios: number[] = [];
  let rssAfterSeries = 0;
  for (let round = 1; round <= rounds; round++) {
    // DCMTK storescp: the reference (writes the files, acknowledges without fsync).
    const scpDir = path.join(work, `storescp-${round}`);
    fs.mkdirSync(scpDir);
    const { port: scpPort, child: storescp } = await startStorescp(scpDir);
    const refWarm = await run('storescu', push(scpPort, warmup), 600_000);
    await run('sync', [], 120_000);
    const ref = await run('storescu', push(scpPort), 600_000);
    await stop(storescp);
    const refPace = ratesByHundred(scpDir, count);
    if (refWarm.code !== 0) throw new Error(`storescu → storescp (warm-up) failed: ${refWarm.stderr}`);
    if (ref.code !== 0) throw new Error(`storescu → storescp failed: ${ref.stderr}`);
    fs.rmSync(scpDir, { recursive: true, force: true });

    // The node: success only after fsync + rename + index commit.
    const nodePort = await freePort();
    const dataDir = path.join(work, `node-${round}`);
    const node = await startNode(dataDir, nodePort);
    const warm = await run('storescu', push(nodePort, warmup), 600_000);
    if (warm.code !== 0) throw new Error(`storescu → node (warm-up) failed: ${warm.stderr}`);
    await run('sync', [], 120_000);
    const ours = await run('storescu', push(nodePort), 600_000);
    rssAfterSeries = Math.max(rssAfterSeries, peakRssMb(node.pid!));
    await stop(node);
    const ourPace = ratesByHundred(path.join(dataDir, 'instances'), count);
    if (ours.code !== 0) throw new Error(`storescu → node failed: ${ours.stderr}`);
    fs.rmSync(dataDir, { recursive: true, force: true });

    const refRate = count / (ref.ms / 1000);
    const ourRate = count / (ours.ms / 1000);
    ratios.push(ourRate / refRate);
    console.log(
      `round ${round}: storescp ${refRate.toFixed(1)} images/s (${(mb / (ref.ms / 1000)).toFixed(0)} MiB/s); ` +
        `node ${ourRate.toFixed(1)} images/s (${(mb / (ours.ms / 1000)).toFixed(0)} MiB/s), durable acknowledgement; ` +
        `ratio ${(ourRate / refRate).toFixed(2)} ` +
        `(warm-up: storescp ${(warmupCount / (refWarm.ms / 1000)).toFixed(0)}, node ${(warmupCount / (warm.ms / 1000)).toFixed(0)} images/s)\n` +
        `  images/s by 100 instances (file times): storescp ${refPace.join(' ')}; node ${ourPace.join(' ')}`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `ratio node/storescp: median ${median.toFixed(2)} of ${rounds} rounds (${sorted[0]!.toFixed(2)} to ${sorted[sorted.length - 1]!.toFixed(2)}; target >= 0.5)`,
  );
  console.log(`node peak RSS during the series: ${rssAfterSeries.toFixed(0)} MiB`);

  // Peak RSS while receiving one 200 MiB instance.
  fs.rmSync(input, { recursive: true, force: true });
  const large = path.join(work, 'large');
  fs.mkdirSync(large);
  const size = generateLarge(path.join(large, 'large.dcm'));
  const bigPort = await freePort();
  const bigNode = await startNode(path.join(work, 'node-large'), bigPort);
  const baseline = peakRssMb(bigNode.pid!);
  const big = await run(
    'storescu',
    ['-aet', 'BENCH', '-aec', 'PACSAI', '-R', '127.0.0.1', String(bigPort), path.join(large, 'large.dcm')],
    600_000,
  );
  const peak = peakRssMb(bigNode.pid!);
  await stop(bigNode);
  if (big.code !== 0) throw new Error(`storescu of the large instance failed: ${big.stderr}`);
  console.log(
    `one ${(size / (1024 * 1024)).toFixed(0)} MiB instance: ${(big.ms / 1000).toFixed(2)} s; node peak RSS ${peak.toFixed(0)} MiB (after start ${baseline.toFixed(0)} MiB; target < 300 MB)`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
