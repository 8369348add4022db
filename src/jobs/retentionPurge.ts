import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/openDatabase';
import type { Logger } from '../logging/logger';
import type { AuditSink } from '../pipeline/audit';
import { TERMINAL_STATES } from '../pipeline/jobState';
import type { ScheduledJob } from './jobScheduler';

export interface RetentionPurgeOptions {
  db: Db;
  /** Data directory: file paths in the tables are relative to it (or absolute). */
  dataDir: string;
  audit: AuditSink;
  logger: Logger;
  /** storage.retentionDays. */
  retentionDays: number;
  /** Cron expression; default daily at 03:17. */
  schedule?: string;
}

/** What one purge removed. */
export interface RetentionSummary {
  inputSeries: number;
  inputInstances: number;
  results: number;
  bytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function tableExists(db: Db, name: string): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name);
}

/**
 * Removes what retention allows (PRODUCT.md 7, storage.retentionDays), and nothing else:
 * - inputs received before the cut-off, unless their series has a job that is not terminal
 *   (failed jobs may still be retried) or a delivery of the file (forward) is not delivered;
 * - results (files of the deliveries table) only once every delivery of the file is delivered,
 *   before the cut-off.
 * Every deletion is audited as `retention.deleted` (rows and audit in one transaction, then the
 * file is removed: a crash leaves at worst an orphan file, never a row without its file's audit).
 */
export function purgeRetention(o: Omit<RetentionPurgeOptions, 'schedule'>, now: number): RetentionSummary {
  const cutoff = new Date(now - o.retentionDays * DAY_MS).toISOString();
  const terminal = TERMINAL_STATES.map((s) => `'${s}'`).join(',');
  const hasDeliveries = tableExists(o.db, 'deliveries');
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.join(o.dataDir, p));
  // instances.file_path is relative to the data directory; deliveries.file_path is absolute.
  const prefix = path.resolve(o.dataDir) + path.sep;
  const summary: RetentionSummary = { inputSeries: 0, inputInstances: 0, results: 0, bytes: 0 };

  const series = o.db
    .prepare(
      `SELECT s.series_instance_uid, s.study_instance_uid FROM series s
       WHERE s.last_received_at < ?
         AND EXISTS (SELECT 1 FROM instances i WHERE i.series_instance_uid = s.series_instance_uid)
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.series_instance_uid = s.series_instance_uid AND j.state NOT IN (${terminal}))
       ORDER BY s.last_received_at`,
    )
    .all(cutoff) as Array<{ series_instance_uid: string; study_instance_uid: string }>;
  const instancesOf = o.db.prepare(
    `SELECT i.id, i.sop_instance_uid, i.file_path, i.size_bytes FROM instances i
     WHERE i.series_instance_uid = @series AND i.received_at < @cutoff
     ${hasDeliveries ? `AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.file_path IN (i.file_path, @prefix || i.file_path) AND d.state <> 'delivered')` : ''}`,
  );
  const deleteInstance = o.db.prepare('DELETE FROM instances WHERE id = ?');
  const deleteIndexed = o.db.prepare('DELETE FROM dicomweb_instances WHERE sop_instance_uid = ?');
  for (const s of series) {
    const rows = instancesOf.all({ series: s.series_instance_uid, cutoff, prefix }) as Array<{
      id: number;
      sop_instance_uid: string;
      file_path: string;
      size_bytes: number;
    }>;
    if (rows.length === 0) continue;
    const bytes = rows.reduce((n, r) => n + r.size_bytes, 0);
    o.db.transaction(() => {
      for (const r of rows) {
        deleteInstance.run(r.id);
        deleteIndexed.run(r.sop_instance_uid);
      }
      o.audit.record({
        event: 'retention.deleted',
        subject: s.series_instance_uid,
        detail: {
          kind: 'input',
          studyInstanceUid: s.study_instance_uid,
          instances: rows.length,
          bytes,
          retentionDays: o.retentionDays,
          cutoff,
        },
      });
    })();
    for (const r of rows) fs.rmSync(resolve(r.file_path), { force: true });
    summary.inputSeries++;
    summary.inputInstances += rows.length;
    summary.bytes += bytes;
  }

  if (hasDeliveries) {
    const results = o.db
      .prepare(
        `SELECT file_path, MIN(sop_instance_uid) AS sop_instance_uid, MIN(series_instance_uid) AS series_instance_uid,
           GROUP_CONCAT(DISTINCT destination) AS destinations
         FROM deliveries d
         WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE d.file_path IN (i.file_path, @prefix || i.file_path))
         GROUP BY file_path
         HAVING SUM(state <> 'delivered') = 0 AND MAX(COALESCE(delivered_at, updated_at)) < @cutoff`,
      )
      .all({ cutoff, prefix }) as Array<{
      file_path: string;
      sop_instance_uid: string;
      series_instance_uid: string;
      destinations: string;
    }>;
    const markMissing = o.db.prepare('UPDATE dicomweb_instances SET missing = 1 WHERE sop_instance_uid = ?');
    for (const r of results) {
      const abs = resolve(r.file_path);
      let size: number;
      try {
        size = fs.statSync(abs).size;
      } catch {
        continue; // already removed by an earlier purge
      }
      o.db.transaction(() => {
        markMissing.run(r.sop_instance_uid);
        o.audit.record({
          event: 'retention.deleted',
          subject: r.sop_instance_uid,
          detail: {
            kind: 'result',
            seriesInstanceUid: r.series_instance_uid,
            destinations: r.destinations.split(','),
            bytes: size,
            retentionDays: o.retentionDays,
            cutoff,
          },
        });
      })();
      fs.rmSync(abs, { force: true });
      summary.results++;
      summary.bytes += size;
    }
  }
  o.logger.info('jobs.retention.done', { ...summary });
  return summary;
}

/** The retention purge as a scheduled job. */
export function retentionPurgeJob(o: RetentionPurgeOptions): ScheduledJob {
  return {
    name: 'retention-purge',
    schedule: o.schedule ?? '17 3 * * *',
    run: (now) => {
      const s = purgeRetention(o, now);
      return `removed ${s.inputInstances} input instances of ${s.inputSeries} series and ${s.results} results (${s.bytes} bytes)`;
    },
  };
}
