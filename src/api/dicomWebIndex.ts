import path from 'node:path';
import type { Db } from '../db/openDatabase';
import type { Logger } from '../logging/logger';
import type { Clock } from '../pipeline/clock';
import { readDicomJson, type DicomJsonDataset } from './dicomJson';
import { INDEXED_TAGS } from './qidoAttributes';
import { tableExists } from './tableExists';

/** One instance the node can serve over DICOMweb: an input it received or a result it wrote. */
export interface IndexedInstance {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  origin: 'input' | 'result';
  /** Absolute path of the Part 10 file. */
  absolutePath: string;
  transferSyntaxUid: string;
  attributes: DicomJsonDataset;
}

interface IndexRow {
  sop_instance_uid: string;
  study_instance_uid: string;
  series_instance_uid: string;
  sop_class_uid: string;
  origin: 'input' | 'result';
  file_path: string;
  transfer_syntax_uid: string;
  attributes: string;
}

interface SourceRow {
  sop_instance_uid: string;
  study_instance_uid: string;
  series_instance_uid: string;
  sop_class_uid: string;
  file_path: string;
}

/**
 * The DICOMweb view over the node's files (migrations/0003_dicomweb_index.sql): inputs from the
 * `instances` table, results from the `deliveries` table (one row per SOP Instance UID), their
 * QIDO-RS attributes read once from each header and kept in `dicomweb_instances`.
 * {@link sync} brings the index in line with its sources before every query.
 */
export class DicomWebIndex {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Absolute path of a file path as the tables store it (relative to the data directory). */
  resolve(filePath: string): string {
    return path.isAbsolute(filePath) ? filePath : path.join(this.dataDir, filePath);
  }

  /** Indexes new inputs and results, drops rows whose source row is gone. Returns rows indexed. */
  async sync(): Promise<number> {
    const hasDeliveries = tableExists(this.db, 'deliveries');
    this.db.exec(`DELETE FROM dicomweb_instances WHERE origin = 'input'
      AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.sop_instance_uid = dicomweb_instances.sop_instance_uid)`);
    if (hasDeliveries) {
      this.db.exec(`DELETE FROM dicomweb_instances WHERE origin = 'result'
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.sop_instance_uid = dicomweb_instances.sop_instance_uid)`);
    } else this.db.exec(`DELETE FROM dicomweb_instances WHERE origin = 'result'`);
    const todo: Array<SourceRow & { origin: 'input' | 'result' }> = [];
    for (const r of this.db
      .prepare(
        `SELECT sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid, file_path FROM instances i
         WHERE NOT EXISTS (SELECT 1 FROM dicomweb_instances d WHERE d.sop_instance_uid = i.sop_instance_uid AND d.file_path = i.file_path)`,
      )
      .all() as SourceRow[])
      todo.push({ ...r, origin: 'input' });
    if (hasDeliveries) {
      for (const r of this.db
        .prepare(
          `SELECT sop_instance_uid, MIN(study_instance_uid) AS study_instance_uid, MIN(series_instance_uid) AS series_instance_uid,
             MIN(sop_class_uid) AS sop_class_uid, MIN(file_path) AS file_path
           FROM deliveries d
           WHERE NOT EXISTS (SELECT 1 FROM dicomweb_instances x WHERE x.sop_instance_uid = d.sop_instance_uid)
             AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.sop_instance_uid = d.sop_instance_uid)
           GROUP BY sop_instance_uid`,
        )
        .all() as SourceRow[])
        todo.push({ ...r, origin: 'result' });
    }
    const upsert = this.db.prepare(
      `INSERT OR REPLACE INTO dicomweb_instances (sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid,
         origin, file_path, transfer_syntax_uid, attributes, missing, indexed_at)
       VALUES (@sop_instance_uid, @study_instance_uid, @series_instance_uid, @sop_class_uid, @origin, @file_path,
         @transfer_syntax_uid, @attributes, @missing, @indexed_at)`,
    );
    for (const r of todo) {
      let attributes = '{}';
      let ts = '';
      let missing = 0;
      try {
        const j = await readDicomJson(this.resolve(r.file_path), INDEXED_TAGS);
        attributes = JSON.stringify(j.dataset);
        ts = j.transferSyntaxUid;
      } catch (e) {
        missing = 1;
        this.logger.warn('api.dicomweb.index_unreadable', {
          sopInstanceUid: r.sop_instance_uid,
          origin: r.origin,
          error: (e as Error).message,
        });
      }
      upsert.run({
        ...r,
        transfer_syntax_uid: ts,
        attributes,
        missing,
        indexed_at: new Date(this.clock.now()).toISOString(),
      });
    }
    return todo.length;
  }

  /** Served instances, narrowed by UIDs; ordered by study, series, instance number. */
  list(
    filter: { studyInstanceUid?: string; seriesInstanceUid?: string; sopInstanceUid?: string } = {},
  ): IndexedInstance[] {
    const where = ['missing = 0'];
    const args: string[] = [];
    if (filter.studyInstanceUid) {
      where.push('study_instance_uid = ?');
      args.push(filter.studyInstanceUid);
    }
    if (filter.seriesInstanceUid) {
      where.push('series_instance_uid = ?');
      args.push(filter.seriesInstanceUid);
    }
    if (filter.sopInstanceUid) {
      where.push('sop_instance_uid = ?');
      args.push(filter.sopInstanceUid);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM dicomweb_instances WHERE ${where.join(' AND ')} ORDER BY study_instance_uid, series_instance_uid, indexed_at, sop_instance_uid`,
      )
      .all(...args) as IndexRow[];
    const out = rows.map((r) => ({
      sopInstanceUid: r.sop_instance_uid,
      studyInstanceUid: r.study_instance_uid,
      seriesInstanceUid: r.series_instance_uid,
      sopClassUid: r.sop_class_uid,
      origin: r.origin,
      absolutePath: this.resolve(r.file_path),
      transferSyntaxUid: r.transfer_syntax_uid,
      attributes: JSON.parse(r.attributes) as DicomJsonDataset,
    }));
    const num = (i: IndexedInstance): number =>
      Number(i.attributes['00200013']?.Value?.[0] ?? Number.MAX_SAFE_INTEGER);
    return out.sort(
      (a, b) =>
        a.studyInstanceUid.localeCompare(b.studyInstanceUid) ||
        a.seriesInstanceUid.localeCompare(b.seriesInstanceUid) ||
        num(a) - num(b),
    );
  }

  /** Marks a result file removed by retention (its delivery rows stay as history). */
  markMissing(sopInstanceUid: string): void {
    this.db
      .prepare('UPDATE dicomweb_instances SET missing = 1 WHERE sop_instance_uid = ?')
      .run(sopInstanceUid);
  }
}
