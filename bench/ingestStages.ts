/**
 * Where the ingest time goes (docs/performance.md "Ingest"). DCMTK storescu pushes N synthetic
 * 512x512 16-bit CT instances on one association to DCMTK storescp and to the node's own DIMSE
 * SCP (src/receive, in this process) in front of a stand-in store that adds one stage at a time:
 *
 *   drop        the data set is read and dropped: the receive loop alone
 *   pool        written to a temp file on the thread pool (fs.writev), renamed, closed
 *   loop        written on the event loop (fs.writevSync), renamed, closed
 *   pool+fsync  as pool, with the fsyncs of the file and its folder before the answer
 *   loop+fsync  as loop, with the same fsyncs: what the store does, without its checks and index
 *   store       the node's InstanceStore itself (src/store: header checks, re-send check, rename
 *               into instances/, fsyncs, index and audit rows), with its own SQLite database
 *
 * All stages run in this one process, so V8 optimises the store's code over the rounds as it
 * would in a node in service; the series assembler, metrics and logging of `serve` are not in.
 * Each round pushes to storescp and to every stage (a fresh receiver each, the order rotated
 * per round), each after a 100-instance warm-up and `sync`, and prints images/s with the ratio
 * to storescp's rate in the same round; then the medians per stage.
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/benchbuild
 *   NODE_PATH=$PWD/node_modules node /tmp/benchbuild/bench/ingestStages.js [instances=300] [rounds=3]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { AuditLog } from '../src/audit';
import { nodeConfigSchema } from '../src/config/nodeConfigSchema';
import { openDatabase } from '../src/db/openDatabase';
import { silentLogger } from '../src/logging/logger';
import { systemClock } from '../src/pipeline/clock';
import type { ReceivedInstance } from '../src/pipeline/types';
import { DimseServer } from '../src/receive/dimseServer';
import type { InstanceSink } from '../src/receive/types';
import { InstanceStore } from '../src/store';
import { generateSeries, run, startStorescp, stop, storescuPush, workFolder } from './ingestKit';

const STAGES = ['drop', 'pool', 'loop', 'pool+fsync', 'loop+fsync', 'store'] as const;
type Stage = (typeof STAGES)[number];

/** writev(2); a short write (not expected on a local disk) is finished from a joined copy. */
function writeAllSync(fd: number, buffers: Buffer[]): void {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  let done = fs.writevSync(fd, buffers);
  if (done === total) return;
  const all = Buffer.concat(buffers);
  while (done < total) {
    const n = fs.writeSync(fd, all, done);
    if (n <= 0) throw new Error('no progress');
    done += n;
  }
}

/** The node's store on a fresh data directory (database closed by `close`). */
function realStore(dir: string): { sink: InstanceSink; openFolders: () => Promise<void>; close: () => void } {
  const db = openDatabase(path.join(dir, 'pacs-ai-node.sqlite'), {
    migrationsDir: path.join(process.cwd(), 'migrations'),
  });
  const store = new InstanceStore({
    dataDir: dir,
    db,
    audit: new AuditLog(db, systemClock),
    clock: systemClock,
    logger: silentLogger,
    minFreeMb: 0,
    maxMessageBytes: 1024 * 1024 * 1024,
  });
  return {
    sink: store,
    openFolders: () => store.openFolders(),
    close: () => {
      void store.close();
      db.close();
    },
  };
}

/** A store that does only what `stage` says, in a folder of its own. */
function standInStore(stage: Exclude<Stage, 'store'>, dir: string): InstanceSink {
  const dirFd = fs.openSync(dir, 'r');
  let n = 0;
  return {
    storeStream(o) {
      let done!: (i: ReceivedInstance) => void;
      let failed!: (e: Error) => void;
      const result = new Promise<ReceivedInstance>((resolve, reject) => {
        done = resolve;
        failed = reject;
      });
      // The SCP reads nothing of it but the promise; the events sink below ignores it.
      const instance = { sopInstanceUid: o.sopInstanceUid, peer: o.peer } as ReceivedInstance;
      if (stage === 'drop') {
        const stream = new Writable({
          writev: (_chunks, cb) => cb(),
          final: (cb) => {
            cb();
            done(instance);
          },
        });
        return { stream, result, cancel: () => stream.destroy() };
      }
      const file = path.join(dir, `${n++}.tmp`);
      const fd = fs.openSync(file, 'wx', 0o640);
      const onLoop = stage.startsWith('loop');
      const stream = new Writable({
        highWaterMark: 256 * 1024,
        writev(chunks, cb) {
          const buffers = chunks.map((c) => c.chunk as Buffer);
          if (onLoop) {
            writeAllSync(fd, buffers);
            return cb();
          }
          const asked = buffers.reduce((k, b) => k + b.length, 0);
          fs.writev(fd, buffers, (e, written) =>
            cb(e ?? (written === asked ? null : new Error('short write'))),
          );
        },
        final(cb) {
          cb();
          fs.renameSync(file, file.replace(/\.tmp$/, '.dcm'));
          const answer = () => fs.close(fd, () => done(instance));
          if (!stage.endsWith('fsync')) return answer();
          let left = 2;
          const one = (e: Error | null) => (e ? failed(e) : --left === 0 && answer());
          fs.fsync(fd, one);
          fs.fsync(dirFd, one);
        },
      });
      return { stream, result, cancel: () => stream.destroy() };
    },
  };
}

/** Starts the SCP with the stand-in store on a free port. */
async function startStage(
  stage: Stage,
  dir: string,
): Promise<{ port: number; server: DimseServer; close: () => void }> {
  fs.mkdirSync(dir, { recursive: true });
  const real = stage === 'store' ? realStore(dir) : null;
  await real?.openFolders();
  const server = new DimseServer({
    config: nodeConfigSchema.parse({ dimse: { port: 0, host: '127.0.0.1' } }),
    sink: real?.sink ?? standInStore(stage as Exclude<Stage, 'store'>, dir),
    events: { instanceStored: () => undefined, associationEnded: () => undefined },
    audit: { record: () => undefined },
    logger: silentLogger,
  });
  const { port } = await server.listen();
  return { port, server, close: () => real?.close() };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 300);
  const rounds = Number(process.argv[3] ?? 3);
  const work = workFolder('pacs-ai-node-stages-');
  const input = path.join(work, 'in');
  const warmup = path.join(work, 'warmup');
  fs.mkdirSync(input);
  fs.mkdirSync(warmup);
  generateSeries(input, count);
  generateSeries(warmup, 100);
  /** Warm-up, sync, then the timed push; images/s. */
  const measure = async (port: number): Promise<number> => {
    const warm = await run('storescu', storescuPush(port, warmup), 600_000);
    if (warm.code !== 0) throw new Error(`storescu (warm-up) failed: ${warm.stderr}`);
    await run('sync', [], 120_000);
    const timed = await run('storescu', storescuPush(port, input), 600_000);
    if (timed.code !== 0) throw new Error(`storescu failed: ${timed.stderr}`);
    return count / (timed.ms / 1000);
  };

  console.log(`${count} synthetic CT instances (512x512x16) per push, one association, ${rounds} rounds`);
  const ratios = new Map<Stage, number[]>(STAGES.map((s) => [s, []]));
  const rates = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    const order: Array<Stage | 'storescp'> = ['storescp', ...STAGES];
    for (let i = 0; i < round - 1; i++) order.push(order.shift()!);
    const rate = new Map<string, number>();
    for (const who of order) {
      const dir = path.join(work, `${who.replace('+', '-')}-${round}`);
      if (who === 'storescp') {
        fs.mkdirSync(dir);
        const { port, child } = await startStorescp(dir);
        rate.set(who, await measure(port));
        await stop(child);
      } else {
        const { port, server, close } = await startStage(who, dir);
        rate.set(who, await measure(port));
        await server.close();
        close();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const ref = rate.get('storescp')!;
    const parts = [`storescp ${ref.toFixed(0)}`];
    for (const s of STAGES) {
      const r = rate.get(s)!;
      ratios.get(s)!.push(r / ref);
      parts.push(`${s} ${r.toFixed(0)} (${(r / ref).toFixed(2)})`);
    }
    for (const [who, r] of rate) rates.set(who, [...(rates.get(who) ?? []), r]);
    console.log(`round ${round} (images/s, ratio to storescp): ${parts.join('; ')}`);
  }
  console.log(
    `medians: storescp ${median(rates.get('storescp')!).toFixed(0)} images/s; ` +
      STAGES.map(
        (s) =>
          `${s} ${median(rates.get(s)!).toFixed(0)} images/s, ratio ${median(ratios.get(s)!).toFixed(2)}`,
      ).join('; '),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
