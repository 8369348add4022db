import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SeriesAssembler } from './assemble';
import { AuditLog } from './audit';
import { parseNodeConfig } from './config/loadNodeConfig';
import type { NodeConfig } from './config/nodeConfigSchema';
import { JobRepository } from './db/jobRepository';
import { databasePath, openDatabase, type Db } from './db/openDatabase';
import { createLogger, type Logger } from './logging/logger';
import { systemClock, type Clock } from './pipeline/clock';
import type { CompletedSeries } from './pipeline/types';
import { DimseServer } from './receive';
import { InstanceStore } from './store';

/**
 * The composition root (ARCHITECTURE.md): the only file that builds concrete implementations
 * and wires the stages together. Stages meet here, never in each other's imports.
 */
export interface AppOptions {
  config: NodeConfig;
  clock?: Clock;
  logger?: Logger;
  /** Also told of each completed series (tests, embedding). */
  onSeriesComplete?: (series: CompletedSeries, jobId: string) => void;
}

/** The ports the node listens on. */
export interface StartedApp {
  dimsePort: number;
}

export interface App {
  readonly config: NodeConfig;
  readonly db: Db;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly jobs: JobRepository;
  readonly store: InstanceStore;
  readonly assembler: SeriesAssembler;
  /** Removes leftover temp files, resumes unfinished series, listens. */
  start(): Promise<StartedApp>;
  /** Stops listening, drops open associations, stops timers, closes the database. */
  stop(): Promise<void>;
}

/** The destination the embedded default delivers results to (PRODUCT.md 8). */
export const DEFAULT_RESULTS_DESTINATION = 'results';

/**
 * With no destination configured, results go to a folder destination `results` →
 * `file://<dataDir>/results`, so the embedded default configuration works end to end.
 */
export function withDefaultDestinations(config: NodeConfig): NodeConfig {
  if (Object.keys(config.destinations).length > 0) return config;
  const url = pathToFileURL(path.join(path.resolve(config.dataDir), 'results')).href;
  const plain = structuredClone(config) as unknown as Record<string, unknown>;
  plain.destinations = { [DEFAULT_RESULTS_DESTINATION]: { url } };
  return parseNodeConfig(plain, {}, 'configuration with default destinations');
}

/** Builds the node: database, audit, store, assembler and DIMSE SCP, wired. */
export function createApp(opts: AppOptions): App {
  const config = withDefaultDestinations(opts.config);
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.logging.level });
  const dataDir = path.resolve(config.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(databasePath(dataDir));
  const audit = new AuditLog(db, clock);
  const jobs = new JobRepository(db, audit, clock);
  const store = new InstanceStore({
    dataDir,
    db,
    audit,
    clock,
    logger: logger.child({ stage: 'store' }),
    minFreeMb: config.storage.minFreeMb,
    maxMessageBytes: config.dimse.maxMessageBytes,
  });
  const assembler = new SeriesAssembler({
    db,
    audit,
    clock,
    logger: logger.child({ stage: 'assemble' }),
    jobs,
    config,
    onComplete: (series, jobId) => {
      logger.info('app.series.completed', {
        seriesInstanceUid: series.seriesInstanceUid,
        instances: series.instances.length,
        signal: series.signal,
        jobId,
      });
      opts.onSeriesComplete?.(series, jobId);
    },
  });
  const dimse = new DimseServer({
    config,
    sink: store,
    events: assembler,
    audit,
    logger: logger.child({ stage: 'receive' }),
  });

  let started = false;
  let stopped = false;
  return {
    config,
    db,
    audit,
    clock,
    logger,
    jobs,
    store,
    assembler,
    async start() {
      if (started) throw new Error('the node is already started');
      started = true;
      // After an unclean stop (no `node.stopped` as the last audit row), files renamed but never
      // indexed may exist: they were never acknowledged and are removed.
      const last = db.prepare('SELECT event FROM audit_events ORDER BY seq DESC LIMIT 1').get() as
        { event: string } | undefined;
      await store.removeLeftoverTempFiles();
      if (last && last.event !== 'node.stopped') await store.removeOrphanFiles();
      assembler.resume();
      const { port } = await dimse.listen();
      audit.record({ event: 'node.started', detail: { dimsePort: port, aeTitle: config.aeTitle } });
      return { dimsePort: port };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await dimse.close();
      assembler.stop();
      if (started) audit.record({ event: 'node.stopped' });
      db.close();
    },
  };
}
