import type { Readable } from 'node:stream';
import type { NodeConfig } from '../config/nodeConfigSchema';
import type { Db } from '../db/openDatabase';
import type { NaturalDataset } from '../dicom/dcmjs';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { Clock } from '../pipeline/clock';
import type { PeerInfo, ReceivedInstance } from '../pipeline/types';
import type { Metrics } from './metrics';

/**
 * What the HTTP edge needs from the rest of the node. src/api imports no stage folder: src/app.ts
 * builds the real implementations and hands them over through this object (ARCHITECTURE.md).
 */
export interface HttpDeps {
  /** The validated, frozen node configuration (http.tokens, http.maxStowBytes, dataDir...). */
  config: NodeConfig;
  /** The open database (instances, series, jobs, audit_events, deliveries, dicomweb index). */
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Where admin actions are recorded, with the token name as actor. */
  audit: AuditSink;
  metrics: Metrics;
  /** STOW-RS ingest into the same store as C-STORE. */
  ingest: IngestPort;
  rules: RulesPort;
  models: ModelsPort;
  deliveries: DeliveriesPort;
  /** The outcome of the last scheduled audit chain verification (null: not checked yet). */
  auditChain: () => AuditChainStatus | null;
  /** Readiness probes beyond the database, disk, rules and audit chain (e.g. "dimse" listening). */
  readiness?: () => ReadinessCheck[];
  /** Free bytes on the data directory's file system (default: fs.statfs of config.dataDir). */
  diskFreeBytes?: () => Promise<number | null>;
  /** The scheduled jobs and their last runs (src/jobs JobScheduler.list). */
  scheduledJobs?: () => ScheduledJobInfo[];
  /** Allowed CORS origin for DICOMweb viewers; default "*" when no tokens are configured. */
  corsOrigin?: string;
}

/** The store stage, as STOW-RS sees it. */
export interface IngestPort {
  /**
   * Streams one Part 10 instance into the store: temp file, fsync, validate, rename, index.
   * Throws DatasetInvalidError (not DICOM), OutOfResourcesError (disk below the watermark).
   */
  storePart10Stream(input: Readable, peer: PeerInfo, source: 'stow'): Promise<ReceivedInstance>;
  /** Tells series assembly about a stored instance. */
  instanceStored?(instance: ReceivedInstance): void;
  /**
   * Called once a STOW-RS request has been handled, with the `associationId` its instances
   * carried: the HTTP counterpart of an association ending (assembly's association-end signal).
   */
  requestEnded?(associationId: string): void;
}

/** The outcome of checking or reloading routing rules. */
export interface RulesCheckResult {
  ok: boolean;
  problems: string[];
  version?: string | null;
}

/** The rules engine, as the admin API sees it. */
export interface RulesPort {
  /** Validates a rules.yaml text without loading it. */
  check(yamlText: string): RulesCheckResult;
  /** Evaluates the loaded rules over the headers of one or more series (one array per series). */
  explain(series: NaturalDataset[][]): unknown;
  /** Loads config/rules.yaml again; the previous rules stay when the new ones are invalid. */
  reload(actor: string): RulesCheckResult;
  /** Version (hash) of the loaded rules; null when none are loaded. */
  currentVersion(): string | null;
}

export interface ModelsPort {
  list(): Promise<unknown[]> | unknown[];
}

export type DeliveryState = 'pending' | 'in_flight' | 'delivered' | 'dead';

export interface DeliveriesPort {
  list(filter: { state?: DeliveryState; limit: number; offset: number }): unknown[];
  /** Puts a dead (or failed) delivery back in the outbox; NotFoundError / NodeError CONFLICT. */
  replay(id: string, actor: string): unknown;
}

export interface AuditChainStatus {
  ok: boolean;
  firstBadSeq: number | null;
  problem: string | null;
  /** Epoch ms of the check. */
  checkedAt?: number;
}

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** A scheduled job as the admin API and status page show it. */
export interface ScheduledJobInfo {
  name: string;
  schedule: string;
  running: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastOutcome: 'ok' | 'failed' | 'skipped-overlap' | null;
  lastMessage: string | null;
  runs: number;
  skipped: number;
}
