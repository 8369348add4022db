import fs from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { loadNodeConfig } from '../config/loadNodeConfig';
import { databasePath, openDatabase } from '../db/openDatabase';
import { SeriesRepository } from '../db/seriesRepository';
import { NotFoundError } from '../pipeline/errors';

/** Where a read-only command writes. */
export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const stdio: CliIo = { out: process.stdout, err: process.stderr };

/** The data directory from --data-dir, else from --config (else the default). */
export function dataDirOf(o: { dataDir?: string; config?: string }): string {
  return path.resolve(o.dataDir ?? loadNodeConfig(o.config).dataDir);
}

/** Opens the database of a data directory read-only; NotFoundError when there is none. */
export function openExistingDatabase(dataDir: string) {
  const file = databasePath(dataDir);
  if (!fs.existsSync(file))
    throw new NotFoundError(`no database in ${dataDir} (${path.basename(file)} is missing)`);
  return openDatabase(file, { readonly: true });
}

/** `series list`: one line per series; with --json one JSON object per line. */
export function seriesList(
  o: { dataDir?: string; config?: string; json?: boolean },
  io: CliIo = stdio,
): number {
  const db = openExistingDatabase(dataDirOf(o));
  try {
    for (const s of new SeriesRepository(db).list()) {
      const row = {
        studyInstanceUid: s.study_instance_uid,
        seriesInstanceUid: s.series_instance_uid,
        modality: s.modality,
        instances: s.instance_count,
        state: s.state,
      };
      io.out.write(
        o.json
          ? `${JSON.stringify(row)}\n`
          : `${row.seriesInstanceUid}\t${row.modality}\t${row.instances}\t${row.state}\t${row.studyInstanceUid}\n`,
      );
    }
  } finally {
    db.close();
  }
  return 0;
}

export function registerSeriesCommand(program: Command): void {
  const series = program.command('series').description('series held by the node');
  series
    .command('list')
    .description('list series: study, series, modality, instances, state')
    .option('--data-dir <dir>', 'data directory')
    .option('--config <file>', 'node.yaml (for its dataDir)')
    .option('--json', 'one JSON object per line')
    .action((o: { dataDir?: string; config?: string; json?: boolean }) => {
      process.exitCode = seriesList(o);
    });
}
