import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHttpApp, diskFreeBytes, Metrics, startHttpServer, type RunningHttpServer } from './api';
import { SeriesAssembler } from './assemble';
import { AuditLog, verifyAuditChain } from './audit';
import { parseNodeConfig } from './config/loadNodeConfig';
import type { NodeConfig } from './config/nodeConfigSchema';
import { DeliveryService, validateDestinations, WebhookNotifier } from './deliver';
import { JobRepository } from './db/jobRepository';
import { nodeSetting } from './db/nodeSettings';
import { databasePath, openDatabase, type Db } from './db/openDatabase';
import { SeriesRepository } from './db/seriesRepository';
import { generateUid, readDicomHeader, type NaturalDataset } from './dicom';
import { encodeResults } from './encode';
import { InferenceEngine, ModelRegistry } from './infer';
import { createScheduledJobs } from './jobs';
import { createLogger, type Logger } from './logging/logger';
import { systemClock, type Clock } from './pipeline/clock';
import { ConfigError } from './pipeline/errors';
import { Orchestrator } from './pipeline/orchestrator';
import type { CompletedSeries, ReceivedInstance, RouteDecision } from './pipeline/types';
import { DimseServer, type SeriesEvents } from './receive';
import { applyResultConditions, evaluateRules, RulesStore, validateRules, type RulesContext } from './route';
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

/** The ports the node listens on (`httpPort` is null when HTTP is disabled). */
export interface StartedApp {
  dimsePort: number;
  httpPort: number | null;
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
  readonly rules: RulesStore;
  readonly deliveries: DeliveryService;
  readonly orchestrator: Orchestrator;
  readonly metrics: Metrics;
  /** Removes leftover temp files, resumes unfinished series and jobs, listens. */
  start(): Promise<StartedApp>;
  /** Stops listening, drops open associations, stops timers and workers, closes the database. */
  stop(): Promise<void>;
}

/** The destination the embedded default delivers results to (PRODUCT.md 8). */
export const DEFAULT_RESULTS_DESTINATION = 'results';

/** The node's software version (package.json), written into every result object. */
const SOFTWARE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

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

/** Reads the headers of a series' instances, in instance order (rules read the first). */
async function seriesHeaders(series: CompletedSeries): Promise<NaturalDataset[]> {
  const ordered = [...series.instances].sort(
    (a, b) => (a.instanceNumber ?? Number.MAX_SAFE_INTEGER) - (b.instanceNumber ?? Number.MAX_SAFE_INTEGER),
  );
  const headers: NaturalDataset[] = [];
  for (const i of ordered) headers.push((await readDicomHeader(i.filePath)).dataset);
  return headers;
}

/** Builds the node: every stage, the orchestrator, the HTTP edge and the scheduled jobs, wired. */
export function createApp(opts: AppOptions): App {
  const config = withDefaultDestinations(opts.config);
  const destinationProblems = validateDestinations(config.destinations);
  if (destinationProblems.length > 0) {
    throw new ConfigError(`destinations: ${destinationProblems.length} problem(s)`, destinationProblems);
  }
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.logging.level });
  const dataDir = path.resolve(config.dataDir);
  const modelsDir = path.resolve(config.modelsDir);
  const outputDir = path.join(dataDir, 'outputs');
  fs.mkdirSync(outputDir, { recursive: true });
  const db = openDatabase(databasePath(dataDir));
  const audit = new AuditLog(db, clock);
  const jobs = new JobRepository(db, audit, clock);
  const seriesRepo = new SeriesRepository(db);
  const metrics = new Metrics({ db });
  const deviceObserverUid =
    config.results.deviceObserverUid ??
    nodeSetting(db, 'deviceObserverUid', generateUid, new Date(clock.now()).toISOString());

  const registry = new ModelRegistry({ modelsDir, logger: logger.child({ stage: 'infer' }) });
  const destinationNames = Object.keys(config.destinations);
  const rulesContext = (): RulesContext => ({ modelIds: registry.ids(), destinationNames });
  let rules: RulesStore;
  try {
    rules = new RulesStore({
      file: path.resolve(config.rulesFile),
      context: rulesContext,
      audit,
      clock,
      logger: logger.child({ stage: 'route' }),
    });
  } catch (e) {
    db.close();
    throw e;
  }

  const store = new InstanceStore({
    dataDir,
    db,
    audit,
    clock,
    logger: logger.child({ stage: 'store' }),
    minFreeMb: config.storage.minFreeMb,
    maxMessageBytes: config.dimse.maxMessageBytes,
    writeBackBytes: config.storage.writeBackKb * 1024,
  });
  const engine = new InferenceEngine({
    registry,
    clock,
    audit,
    logger: logger.child({ stage: 'infer' }),
    workers: config.inference.workers,
    timeoutMs: config.inference.timeoutSeconds * 1000,
    failureThreshold: config.inference.failureThreshold,
    disableMs: config.inference.disableSeconds * 1000,
  });

  // The orchestrator and the outbox refer to each other through these callbacks.
  let orchestrator: Orchestrator | null = null;
  const deliveries = new DeliveryService({
    db,
    audit,
    clock,
    logger: logger.child({ stage: 'deliver' }),
    destinations: config.destinations,
    callingAeTitle: config.aeTitle,
    onChange: (c) => {
      if (c.outcome !== 'replayed') metrics.deliveryOutcome(c.destination, c.outcome);
      orchestrator?.deliveryChanged(c.jobId);
    },
  });

  const route = async (series: CompletedSeries): Promise<RouteDecision> => {
    const headers = await seriesHeaders(series);
    return evaluateRules(rules.current(), { headers, peer: series.peer });
  };

  orchestrator = new Orchestrator({
    jobs,
    series: seriesRepo,
    audit,
    clock,
    logger: logger.child({ stage: 'pipeline' }),
    router: { route },
    infer: {
      run: async (modelId, series, settings) => {
        const result = await engine.run(modelId, series, settings);
        if (!result.outOfScope) metrics.inferenceDuration(modelId, result.durationMs / 1000);
        return result;
      },
    },
    encode: {
      encode: (result, rulesVersion) =>
        encodeResults(result, {
          outputDir,
          rulesVersion,
          deviceObserverUid,
          deviceObserverName: `pacs-ai-node ${config.aeTitle}`.slice(0, 64),
          manufacturer: 'pacs-ai-node project',
          softwareVersion: SOFTWARE_VERSION,
          institutionName: config.results.institutionName,
          seriesNumberBase: config.results.seriesNumberBase,
          scKeySlices: config.results.scKeySlices,
          now: new Date(clock.now()),
        }),
    },
    deliver: deliveries,
    resultConditions: {
      apply: (decision, findings, measurements) =>
        applyResultConditions(decision.actions, findings, measurements),
    },
    notify: new WebhookNotifier(),
    resolvePath: (p) => path.resolve(dataDir, p),
    studyQuietMs: config.assembly.studyQuietSeconds * 1000,
    onDelivered: (_job, seconds) => metrics.timeToResult(seconds),
  });
  const orch = orchestrator;

  const assembler = new SeriesAssembler({
    db,
    audit,
    clock,
    logger: logger.child({ stage: 'assemble' }),
    jobs,
    config,
    onComplete: (series, jobId) => {
      metrics.seriesCompleted(series.signal);
      orch.seriesCompleted(series, jobId);
      opts.onSeriesComplete?.(series, jobId);
    },
  });
  /** What the receive stage and STOW-RS tell assembly (DIMSE instances are counted here). */
  const events: SeriesEvents = {
    instanceStored: (i: ReceivedInstance) => {
      if (i.source === 'dimse' && !i.duplicate)
        metrics.instanceReceived(i.sopClassUid, i.peer.callingAeTitle, i.sizeBytes);
      assembler.instanceStored(i);
    },
    associationEnded: (id: string) => assembler.associationEnded(id),
  };
  const dimse = new DimseServer({
    config,
    sink: store,
    events,
    audit,
    logger: logger.child({ stage: 'receive' }),
    onRejected: (reason) => metrics.associationRejected(reason),
  });

  const { scheduler, auditChain } = createScheduledJobs({
    db,
    dataDir,
    clock,
    logger: logger.child({ stage: 'jobs' }),
    audit,
    storage: config.storage,
    metrics,
    processDueDeliveries: () => deliveries.processDue(),
    verifyAuditChain: () => verifyAuditChain(db),
  });

  let dimseListening = false;
  const httpApp = createHttpApp({
    config,
    db,
    clock,
    logger: logger.child({ stage: 'api' }),
    audit,
    metrics,
    ingest: {
      storePart10Stream: (input, peer, source) =>
        store.storePart10Stream(input, peer, source, { maxBytes: config.http.maxStowBytes }),
      instanceStored: (i) => events.instanceStored(i),
      requestEnded: (id) => events.associationEnded(id),
    },
    rules: {
      check: (text) => {
        const r = validateRules(text, rulesContext());
        return r.ok
          ? { ok: true, problems: [], version: r.ruleSet.version }
          : { ok: false, problems: r.problems, version: null };
      },
      explain: (groups) =>
        groups.map((headers) =>
          evaluateRules(rules.current(), {
            headers,
            peer: { callingAeTitle: '', calledAeTitle: config.aeTitle, peerAddress: '' },
          }),
        ),
      reload: (actor) => rules.reload(actor),
      currentVersion: () => rules.current().version,
    },
    models: { list: () => registry.list() },
    deliveries: {
      list: (f) => deliveries.list({ state: f.state }).slice(f.offset, f.offset + f.limit),
      replay: (id, actor) => deliveries.replay(Number(id), actor),
    },
    auditChain: () => auditChain.last(),
    readiness: () => [
      { name: 'dimse', ok: dimseListening, detail: dimseListening ? 'listening' : 'not listening' },
    ],
    diskFreeBytes: () => diskFreeBytes(dataDir),
    scheduledJobs: () => scheduler.list(),
  });

  let http: RunningHttpServer | null = null;
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
    rules,
    deliveries,
    orchestrator: orch,
    metrics,
    async start() {
      if (started) throw new Error('the node is already started');
      started = true;
      // Before any listener: nothing half-received may race a new upload.
      await store.removeLeftoverTempFiles();
      // Rows of instances being filed when the node stopped, whose file the disk never got.
      await store.withdrawUnfiledRows();
      const orphans = await store.recoverOrphanFiles();
      if (orphans.reindexed + orphans.removed > 0) logger.info('app.store.orphans', orphans);
      await store.openFolders();
      assembler.resume();
      const resumed = orch.resume();
      if (resumed > 0) logger.info('app.jobs.resumed', { jobs: resumed });
      deliveries.start();
      rules.watch();
      const { port } = await dimse.listen();
      dimseListening = true;
      if (config.http.enabled) http = await startHttpServer(httpApp, config.http.host, config.http.port);
      scheduler.start();
      audit.record({
        event: 'node.started',
        detail: {
          dimsePort: port,
          httpPort: http?.port ?? null,
          aeTitle: config.aeTitle,
          rulesVersion: rules.current().version,
        },
      });
      return { dimsePort: port, httpPort: http?.port ?? null };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await scheduler.stop();
      await http?.close();
      await dimse.close();
      dimseListening = false;
      rules.close();
      assembler.stop();
      orch.stop();
      await orch.idle();
      await deliveries.stop();
      await engine.close();
      await store.close();
      if (started) audit.record({ event: 'node.stopped' });
      db.close();
    },
  };
}
