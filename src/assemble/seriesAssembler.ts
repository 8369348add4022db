import path from 'node:path';
import type { NodeConfig } from '../config/nodeConfigSchema';
import type { JobRepository } from '../db/jobRepository';
import type { Db } from '../db/openDatabase';
import { SeriesRepository, type SeriesRow } from '../db/seriesRepository';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import type { Clock, TimerHandle } from '../pipeline/clock';
import type { CompletedSeries, CompletionSignal, ReceivedInstance } from '../pipeline/types';
import { trustedExpectedCount } from './expectedCount';

/** Everything the assembler needs, injected (STYLE.md 2, 12). */
export interface SeriesAssemblerOptions {
  db: Db;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  jobs: JobRepository;
  config: Pick<NodeConfig, 'assembly' | 'allowedPeers' | 'dataDir'>;
  /** Called once per completion, after the series row and its job moved to `complete`. */
  onComplete: (series: CompletedSeries, jobId: string) => void;
}

/**
 * Decides when a series is complete (PRODUCT.md 2), on the earliest of:
 * - `expected-count`: the trusted expected number of instances has arrived;
 * - `association-end`: the association that carried it ended and the sender is configured as
 *   sending one series per association (`allowedPeers[].oneSeriesPerAssociation`);
 * - `quiet-period`: no instance for the series during the quiet period (per sender, else
 *   `assembly.seriesQuietSeconds`), measured on the injected clock.
 * Every decision is audited with the signal that fired; an instance that arrives after its
 * series completed is audited as a late arrival (and, with `lateArrivals: rerun`, reopens it).
 */
export class SeriesAssembler {
  private readonly series: SeriesRepository;
  private readonly timers = new Map<string, TimerHandle>();
  /** association id → series it carried, until the association ends. */
  private readonly associations = new Map<string, { callingAeTitle: string; series: Set<string> }>();
  /**
   * series uid → id of its open (`received`) job, so an instance costs a primary-key lookup
   * instead of a search; the job's state is read again before each use.
   */
  private readonly openJobs = new Map<string, string>();
  private stopped = false;

  constructor(private readonly opts: SeriesAssemblerOptions) {
    this.series = new SeriesRepository(opts.db);
  }

  /** A durable instance was indexed (its series row already counts it). */
  instanceStored(i: ReceivedInstance): void {
    if (this.stopped) return;
    const assoc = this.associations.get(i.peer.associationId) ?? {
      callingAeTitle: i.peer.callingAeTitle,
      series: new Set<string>(),
    };
    assoc.series.add(i.seriesInstanceUid);
    this.associations.set(i.peer.associationId, assoc);

    if (i.lateArrival && !i.duplicate) {
      this.lateArrival(i);
      if (this.opts.config.assembly.lateArrivals !== 'rerun') return;
    }
    const row = this.series.get(i.seriesInstanceUid);
    if (!row || row.state !== 'receiving') return;
    this.ensureJob(row.series_instance_uid, i.peer.associationId);

    const expected = trustedExpectedCount(i);
    if (expected !== null && row.instance_count >= expected) {
      this.complete(row.series_instance_uid, 'expected-count', { expectedCount: expected });
      return;
    }
    this.armQuietTimer(row, this.quietMs(i.peer.callingAeTitle));
  }

  /** The association ended (released, aborted or closed). */
  associationEnded(associationId: string): void {
    const assoc = this.associations.get(associationId);
    this.associations.delete(associationId);
    if (!assoc || this.stopped) return;
    const peer = this.peerConfig(assoc.callingAeTitle);
    if (!peer?.oneSeriesPerAssociation) return;
    for (const uid of assoc.series) {
      const row = this.series.get(uid);
      if (row?.state === 'receiving') this.complete(uid, 'association-end', { associationId });
    }
  }

  /**
   * On start: every series still receiving gets its quiet timer back, with the time already
   * passed since its last instance counted (work left unfinished by a crash resumes).
   */
  resume(): void {
    for (const row of this.series.list({ state: 'receiving' })) {
      this.ensureJob(row.series_instance_uid, null);
      const elapsed = this.opts.clock.now() - Date.parse(row.last_received_at);
      const remaining = Math.max(0, this.quietMs(row.calling_ae_title) - elapsed);
      this.opts.logger.info('assemble.series.resumed', {
        seriesInstanceUid: row.series_instance_uid,
        remainingMs: remaining,
      });
      this.armQuietTimer(row, remaining);
    }
  }

  /** Declares a series complete now (admin action). */
  completeNow(seriesInstanceUid: string, actor: string): boolean {
    return this.complete(seriesInstanceUid, 'manual', { actor });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.associations.clear();
    this.openJobs.clear();
  }

  /** Number of series waiting on a quiet-period timer. */
  pendingTimers(): number {
    return this.timers.size;
  }

  private peerConfig(callingAeTitle: string) {
    return this.opts.config.allowedPeers.find((p) => p.aeTitle === callingAeTitle);
  }

  private quietMs(callingAeTitle: string): number {
    const s =
      this.peerConfig(callingAeTitle)?.seriesQuietSeconds ?? this.opts.config.assembly.seriesQuietSeconds;
    return s * 1000;
  }

  private armQuietTimer(row: SeriesRow, ms: number): void {
    const uid = row.series_instance_uid;
    this.timers.get(uid)?.cancel();
    this.timers.set(
      uid,
      this.opts.clock.setTimer(ms, () => {
        this.timers.delete(uid);
        this.complete(uid, 'quiet-period', { quietSeconds: ms / 1000 });
      }),
    );
  }

  /** The open job of a receiving series, created with its first instance. */
  private ensureJob(seriesInstanceUid: string, correlationId: string | null): string {
    const known = this.openJobs.get(seriesInstanceUid);
    if (known !== undefined && this.opts.jobs.find(known)?.state === 'received') return known;
    const open = this.opts.jobs.list({ seriesInstanceUid, state: 'received', limit: 1 })[0];
    const id = open
      ? open.id
      : this.opts.jobs.create(seriesInstanceUid, correlationId ? { correlationId } : {}).id;
    this.openJobs.set(seriesInstanceUid, id);
    return id;
  }

  private lateArrival(i: ReceivedInstance): void {
    const policy = this.opts.config.assembly.lateArrivals;
    this.opts.db.transaction(() => {
      this.opts.audit.record({
        event: 'series.late_arrival',
        actor: i.peer.callingAeTitle,
        correlationId: i.peer.associationId,
        subject: i.seriesInstanceUid,
        detail: { sopInstanceUid: i.sopInstanceUid, policy },
      });
      if (policy === 'rerun') this.series.reopen(i.seriesInstanceUid);
    })();
    this.opts.logger.info('assemble.series.late_arrival', {
      seriesInstanceUid: i.seriesInstanceUid,
      sopInstanceUid: i.sopInstanceUid,
      policy,
      correlationId: i.peer.associationId,
    });
  }

  private complete(uid: string, signal: CompletionSignal, detail: Record<string, unknown>): boolean {
    this.timers.get(uid)?.cancel();
    this.timers.delete(uid);
    const at = new Date(this.opts.clock.now()).toISOString();
    let jobId: string | undefined;
    this.opts.db.transaction(() => {
      if (!this.series.markComplete(uid, signal, at)) return;
      const row = this.series.get(uid)!;
      jobId = this.ensureJob(uid, null);
      this.opts.audit.record({
        event: 'series.completed',
        subject: uid,
        correlationId: jobId,
        detail: {
          signal,
          instanceCount: row.instance_count,
          studyInstanceUid: row.study_instance_uid,
          ...detail,
        },
      });
      this.opts.db
        .prepare('UPDATE jobs SET completion_signal = ?, last_instance_at = ? WHERE id = ?')
        .run(signal, row.last_received_at, jobId);
      this.opts.jobs.transition(jobId, 'complete', { audit: { signal } });
    })();
    this.openJobs.delete(uid);
    if (!jobId) return false;
    const completed = this.completedSeries(uid, signal);
    this.opts.logger.info('assemble.series.completed', {
      seriesInstanceUid: uid,
      signal,
      instances: completed.instances.length,
      correlationId: jobId,
    });
    this.opts.onComplete(completed, jobId);
    return true;
  }

  private completedSeries(uid: string, signal: CompletionSignal): CompletedSeries {
    const row = this.series.get(uid)!;
    return {
      studyInstanceUid: row.study_instance_uid,
      seriesInstanceUid: uid,
      modality: row.modality,
      instances: this.series.instances(uid).map((r) => ({
        sopInstanceUid: r.sop_instance_uid,
        sopClassUid: r.sop_class_uid,
        transferSyntaxUid: r.transfer_syntax_uid,
        instanceNumber: r.instance_number,
        filePath: path.resolve(this.opts.config.dataDir, r.file_path),
      })),
      signal,
      completedAt: this.opts.clock.now(),
      lastReceivedAt: Date.parse(row.last_received_at),
      peer: {
        callingAeTitle: row.calling_ae_title,
        calledAeTitle: row.called_ae_title,
        peerAddress: row.peer_address,
      },
    };
  }
}
