import type { Db } from '../db/openDatabase';
import type { InstanceRow } from '../db/seriesRepository';
import type { AuditSink } from '../pipeline/audit';
import type { InstanceSource, PeerInfo } from '../pipeline/types';
import type { InstanceFacts } from './validateHeader';

/** One instance ready to be indexed: its file is already fsynced under its final name. */
export interface IndexEntry {
  facts: InstanceFacts;
  /** Relative to the data directory. */
  relativePath: string;
  sizeBytes: number;
  peer: PeerInfo;
  source: InstanceSource;
  receivedAtIso: string;
  /** Indexed again at start from a file no row named (InstanceStore.recoverOrphanFiles). */
  recovered?: boolean;
}

/** What indexing did. */
export type IndexResult =
  /** `id`: the new row (InstanceIndex.withdraw takes it back). */
  | { kind: 'stored'; id: number; lateArrival: boolean }
  /** The SOP Instance UID was already held: the first copy is kept (PRODUCT.md 1). */
  | { kind: 'duplicate'; existing: InstanceRow };

/**
 * The instance and series rows of the store, written in one SQLite transaction together with
 * the audit row, so an acknowledged instance is always indexed and audited.
 */
export class InstanceIndex {
  private readonly findInstance;
  private readonly findSeriesState;
  private readonly insertSeries;
  private readonly updateSeries;
  private readonly insertInstance;
  private readonly deleteInstance;
  private readonly uncountInstance;
  private readonly deleteEmptySeries;
  private readonly newest;
  private readonly recordTransaction;
  private readonly withdrawTransaction;
  /** The connection's `synchronous` setting, restored after each index transaction. */
  private readonly synchronous: number;
  private readonly relax;
  private readonly restore;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditSink,
  ) {
    this.synchronous = Number(db.pragma('synchronous', { simple: true }));
    this.relax = db.prepare('PRAGMA synchronous = NORMAL');
    this.restore = db.prepare(`PRAGMA synchronous = ${this.synchronous}`);
    this.findInstance = db.prepare('SELECT * FROM instances WHERE sop_instance_uid = ?');
    this.findSeriesState = db.prepare('SELECT state FROM series WHERE series_instance_uid = ?');
    this.insertSeries = db.prepare(
      `INSERT INTO series (series_instance_uid, study_instance_uid, modality, state, expected_count, instance_count,
         calling_ae_title, called_ae_title, peer_address, last_association_id, first_received_at, last_received_at)
       VALUES (@series, @study, @modality, 'receiving', @expected, 1, @calling, @called, @address, @association, @at, @at)`,
    );
    this.updateSeries = db.prepare(
      `UPDATE series SET instance_count = instance_count + 1, last_received_at = @at, last_association_id = @association,
         expected_count = COALESCE(expected_count, @expected),
         modality = CASE WHEN modality = '' THEN @modality ELSE modality END,
         late_arrivals = late_arrivals + @late
       WHERE series_instance_uid = @series`,
    );
    this.insertInstance = db.prepare(
      `INSERT INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, study_instance_uid, series_instance_uid,
         instance_number, number_of_frames, file_path, size_bytes, source, association_id, calling_ae_title, peer_address,
         received_at, late_arrival)
       VALUES (@sop, @sopClass, @ts, @study, @series, @instanceNumber, @frames, @path, @size, @source, @association,
         @calling, @address, @at, @late)`,
    );
    this.deleteInstance = db.prepare('DELETE FROM instances WHERE id = ?');
    this.uncountInstance = db.prepare(
      `UPDATE series SET instance_count = instance_count - 1, late_arrivals = late_arrivals - @late
       WHERE series_instance_uid = @series`,
    );
    // A series that only the withdrawn instance had started, with nothing decided about it yet.
    this.deleteEmptySeries = db.prepare(
      `DELETE FROM series WHERE series_instance_uid = ? AND instance_count = 0 AND state = 'receiving'
         AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.series_instance_uid = series.series_instance_uid)
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.series_instance_uid = series.series_instance_uid)`,
    );
    this.newest = db.prepare('SELECT * FROM instances ORDER BY id DESC LIMIT ?');
    this.recordTransaction = db.transaction((e: IndexEntry) => this.recordRows(e));
    this.withdrawTransaction = db.transaction((row: InstanceRow, reason: string) =>
      this.withdrawRows(row, reason),
    );
  }

  /** The row of an instance already held, if any. */
  existing(sopInstanceUid: string): InstanceRow | undefined {
    return this.findInstance.get(sopInstanceUid) as InstanceRow | undefined;
  }

  /** Audits a re-sent instance: the first copy is kept, the new bytes are dropped. */
  recordDuplicate(f: InstanceFacts, existing: InstanceRow, peer: PeerInfo, source: InstanceSource): void {
    this.audit.record({
      event: 'instance.duplicate',
      actor: peer.callingAeTitle,
      correlationId: peer.associationId,
      subject: f.sopInstanceUid,
      detail: { seriesInstanceUid: f.seriesInstanceUid, source, kept: existing.file_path },
    });
  }

  /** The `limit` rows indexed last, newest first (start-up checks their files). */
  newestRows(limit: number): InstanceRow[] {
    return this.newest.all(limit) as InstanceRow[];
  }

  /**
   * Indexes one instance (or recognises a re-send) in one transaction with its audit row.
   *
   * The store runs it while the fsyncs of the instance file are in flight, and answers only once
   * both are done (InstanceStore.finalize); when the fsync fails, `withdraw` takes the row back.
   * The transaction commits with `synchronous = NORMAL` (WAL): written to the WAL file, not
   * fsynced, so no fsync blocks the event loop on the acknowledgement path. It survives a kill of
   * the process (the bytes are in the operating system). A power loss can drop it, and every
   * later commit up to the next fsync of the WAL (any commit of another stage, which keeps the
   * connection's own setting, or a checkpoint): an acknowledged instance's file was fsynced under
   * its final name before the answer, so start-up indexes it again
   * (InstanceStore.recoverOrphanFiles). A power loss can also keep the row of an instance whose
   * fsync had not returned (never acknowledged): start-up withdraws it when its file is missing
   * or short (InstanceStore.withdrawUnfiledRows).
   */
  record(e: IndexEntry): IndexResult {
    return this.relaxed(() => this.recordTransaction(e));
  }

  /**
   * Takes back the row of an instance that is not held after all: its file could not be made
   * durable, or it is missing or not the size indexed. Deletes the instance row, uncounts it from
   * its series (and deletes a series row that only it had started), and appends an
   * `instance.withdrawn` audit row with the reason, all in one transaction. The `instance.stored`
   * row stays in the append-only trail; the two together say what happened.
   */
  withdraw(row: InstanceRow, reason: string): void {
    this.relaxed(() => this.withdrawTransaction(row, reason));
  }

  /** Runs `fn` with `synchronous = NORMAL` unless the caller's transaction is open (see record). */
  private relaxed<T>(fn: () => T): T {
    const relaxed = this.synchronous > 1 && !this.db.inTransaction;
    if (relaxed) this.relax.run();
    try {
      return fn();
    } finally {
      if (relaxed) this.restore.run();
    }
  }

  private withdrawRows(row: InstanceRow, reason: string): void {
    if (this.deleteInstance.run(row.id).changes === 0) return; // already gone
    this.uncountInstance.run({ series: row.series_instance_uid, late: row.late_arrival ? 1 : 0 });
    this.deleteEmptySeries.run(row.series_instance_uid);
    this.audit.record({
      event: 'instance.withdrawn',
      correlationId: row.association_id,
      subject: row.sop_instance_uid,
      detail: {
        seriesInstanceUid: row.series_instance_uid,
        studyInstanceUid: row.study_instance_uid,
        filePath: row.file_path,
        reason,
      },
    });
  }

  private recordRows(e: IndexEntry): IndexResult {
    const f = e.facts;
    const existing = this.existing(f.sopInstanceUid);
    if (existing) {
      this.recordDuplicate(f, existing, e.peer, e.source);
      return { kind: 'duplicate', existing };
    }
    const state = (this.findSeriesState.get(f.seriesInstanceUid) as { state: string } | undefined)?.state;
    const lateArrival = state === 'complete';
    const common = {
      series: f.seriesInstanceUid,
      study: f.studyInstanceUid,
      modality: f.modality,
      expected: f.expectedCount,
      calling: e.peer.callingAeTitle,
      called: e.peer.calledAeTitle,
      address: e.peer.peerAddress,
      association: e.peer.associationId,
      at: e.receivedAtIso,
    };
    if (state === undefined) this.insertSeries.run(common);
    else this.updateSeries.run({ ...common, late: lateArrival ? 1 : 0 });
    const { lastInsertRowid } = this.insertInstance.run({
      sop: f.sopInstanceUid,
      sopClass: f.sopClassUid,
      ts: f.transferSyntaxUid,
      study: f.studyInstanceUid,
      series: f.seriesInstanceUid,
      instanceNumber: f.instanceNumber,
      frames: f.numberOfFrames,
      path: e.relativePath,
      size: e.sizeBytes,
      source: e.source,
      association: e.peer.associationId,
      calling: e.peer.callingAeTitle,
      address: e.peer.peerAddress,
      at: e.receivedAtIso,
      late: lateArrival ? 1 : 0,
    });
    this.audit.record({
      event: 'instance.stored',
      actor: e.peer.callingAeTitle,
      correlationId: e.peer.associationId,
      subject: f.sopInstanceUid,
      detail: {
        seriesInstanceUid: f.seriesInstanceUid,
        studyInstanceUid: f.studyInstanceUid,
        sopClassUid: f.sopClassUid,
        transferSyntaxUid: f.transferSyntaxUid,
        sizeBytes: e.sizeBytes,
        source: e.source,
        lateArrival,
        ...(e.recovered ? { recovered: true } : {}),
      },
    });
    return { kind: 'stored', id: Number(lastInsertRowid), lateArrival };
  }
}
