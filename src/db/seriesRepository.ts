import type { Statement } from 'better-sqlite3';
import type { Db } from './openDatabase';
import { whereEquals } from './whereEquals';

/** A row of the `series` table. */
export interface SeriesRow {
  series_instance_uid: string;
  study_instance_uid: string;
  modality: string;
  state: 'receiving' | 'complete';
  expected_count: number | null;
  instance_count: number;
  calling_ae_title: string;
  called_ae_title: string;
  peer_address: string;
  last_association_id: string | null;
  first_received_at: string;
  last_received_at: string;
  completed_at: string | null;
  completion_signal: string | null;
  late_arrivals: number;
}

/** A row of the `instances` table; `file_path` is relative to the data directory. */
export interface InstanceRow {
  id: number;
  sop_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  study_instance_uid: string;
  series_instance_uid: string;
  instance_number: number | null;
  number_of_frames: number;
  file_path: string;
  size_bytes: number;
  source: 'dimse' | 'stow';
  association_id: string;
  calling_ae_title: string;
  peer_address: string;
  received_at: string;
  late_arrival: number;
}

/** Read and update access to series and instance rows (the store stage inserts instances). */
export class SeriesRepository {
  /** Statements prepared once per SQL text. */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get(seriesInstanceUid: string): SeriesRow | undefined {
    return this.stmt('SELECT * FROM series WHERE series_instance_uid = ?').get(seriesInstanceUid) as
      SeriesRow | undefined;
  }

  list(
    filter: {
      state?: 'receiving' | 'complete';
      studyInstanceUid?: string;
      limit?: number;
      offset?: number;
    } = {},
  ): SeriesRow[] {
    const where = whereEquals({ state: filter.state, study_instance_uid: filter.studyInstanceUid });
    return this.stmt(
      `SELECT * FROM series ${where.sql} ORDER BY first_received_at, series_instance_uid LIMIT ? OFFSET ?`,
    ).all(...where.args, filter.limit ?? 100000, filter.offset ?? 0) as SeriesRow[];
  }

  instances(seriesInstanceUid: string): InstanceRow[] {
    return this.stmt(
      'SELECT * FROM instances WHERE series_instance_uid = ? ORDER BY instance_number, id',
    ).all(seriesInstanceUid) as InstanceRow[];
  }

  instance(sopInstanceUid: string): InstanceRow | undefined {
    return this.stmt('SELECT * FROM instances WHERE sop_instance_uid = ?').get(sopInstanceUid) as
      InstanceRow | undefined;
  }

  /** Marks a series complete with the signal that fired; false when it already was. */
  markComplete(seriesInstanceUid: string, signal: string, atIso: string): boolean {
    const r = this.stmt(
      `UPDATE series SET state = 'complete', completed_at = ?, completion_signal = ?
         WHERE series_instance_uid = ? AND state = 'receiving'`,
    ).run(atIso, signal, seriesInstanceUid);
    return r.changes === 1;
  }

  /** Opens a completed series again (a late arrival that re-runs the model). */
  reopen(seriesInstanceUid: string): void {
    this.stmt(
      `UPDATE series SET state = 'receiving', completed_at = NULL, completion_signal = NULL WHERE series_instance_uid = ?`,
    ).run(seriesInstanceUid);
  }

  counts(): { series: number; instances: number; receiving: number } {
    const s = this.stmt(`SELECT COUNT(*) AS n, SUM(state = 'receiving') AS r FROM series`).get() as {
      n: number;
      r: number | null;
    };
    const i = this.stmt('SELECT COUNT(*) AS n FROM instances').get() as { n: number };
    return { series: s.n, instances: i.n, receiving: s.r ?? 0 };
  }
}
