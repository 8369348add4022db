import type { Command } from 'commander';
import { AuditLog } from '../audit';
import { loadNodeConfig } from '../config/loadNodeConfig';
import {
  DELIVERY_STATES,
  DeliveryRepository,
  replayAllDeadDeliveries,
  replayDelivery,
  type DeliveryRow,
  type DeliveryState,
} from '../db/deliveryRepository';
import { databasePath, openDatabase, type Db } from '../db/openDatabase';
import { systemClock, type Clock } from '../pipeline/clock';
import { ConfigError } from '../pipeline/errors';

interface DbOptions {
  dataDir?: string;
  config?: string;
}

/** The node's database: --data-dir wins, else dataDir of --config (or of the default configuration). */
export function openNodeDatabase(o: DbOptions): Db {
  const dataDir = o.dataDir ?? loadNodeConfig(o.config).dataDir;
  return openDatabase(databasePath(dataDir));
}

/** One row as the CLI prints it (also the JSON-lines shape). */
export function deliveryJson(r: DeliveryRow): Record<string, unknown> {
  return {
    id: r.id,
    jobId: r.job_id,
    destination: r.destination,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at).toISOString(),
    sopInstanceUid: r.sop_instance_uid,
    sopClassUid: r.sop_class_uid,
    studyInstanceUid: r.study_instance_uid,
    seriesInstanceUid: r.series_instance_uid,
    filePath: r.file_path,
    lastStatus: r.last_status,
    lastStatusClass: r.last_status_class,
    lastMessage: r.last_message,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}

/** `deliveries list`: JSON lines with --json, else one readable line per row. */
export function runDeliveriesList(
  db: Db,
  o: { state?: string; json?: boolean },
  out: NodeJS.WritableStream = process.stdout,
  clock: Clock = systemClock,
): number {
  if (o.state !== undefined && !DELIVERY_STATES.includes(o.state as DeliveryState)) {
    throw new ConfigError(
      `--state must be one of ${DELIVERY_STATES.join(', ')}, got ${JSON.stringify(o.state)}`,
    );
  }
  const rows = new DeliveryRepository(db, clock).list({ state: o.state as DeliveryState | undefined });
  for (const r of rows) {
    if (o.json) out.write(`${JSON.stringify(deliveryJson(r))}\n`);
    else {
      const status = r.last_status === null ? '-' : String(r.last_status);
      out.write(
        `${r.id}\t${r.state}\t${r.destination}\tattempts=${r.attempts}\tstatus=${status}\t${r.sop_instance_uid}\t${r.last_message ?? ''}\n`,
      );
    }
  }
  return 0;
}

/**
 * `deliveries replay <id>` / `--all-dead`: rows become pending, attempts reset, due now, audited
 * `delivery.replayed` with actor `cli`. The running node's outbox timer sends them (it looks for
 * due rows at least every few seconds).
 */
export function runDeliveriesReplay(
  db: Db,
  id: string | undefined,
  o: { allDead?: boolean },
  out: NodeJS.WritableStream = process.stdout,
  clock: Clock = systemClock,
): number {
  const audit = new AuditLog(db, clock);
  if (o.allDead) {
    if (id !== undefined) throw new ConfigError('give a delivery id or --all-dead, not both');
    const n = replayAllDeadDeliveries(db, audit, clock, 'cli');
    out.write(`replayed ${n} dead deliver${n === 1 ? 'y' : 'ies'}\n`);
    return 0;
  }
  if (id === undefined || !/^[1-9]\d*$/.test(id))
    throw new ConfigError('give a delivery id (a positive integer) or --all-dead');
  const row = replayDelivery(db, audit, clock, Number(id), 'cli');
  out.write(`replayed delivery ${row.id} to ${row.destination}: pending, attempts reset\n`);
  return 0;
}

/** Registers `pacs-ai-node deliveries list|replay`. */
export function registerDeliveriesCommand(program: Command): void {
  const cmd = program.command('deliveries').description('Inspect and replay the delivery outbox');
  cmd
    .command('list')
    .description('List outbox rows')
    .option('--state <state>', `only rows in this state (${DELIVERY_STATES.join('|')})`)
    .option('--data-dir <dir>', 'data directory (default: from the configuration)')
    .option('--config <file>', 'node.yaml')
    .option('--json', 'one JSON object per line')
    .action((o: DbOptions & { state?: string; json?: boolean }) => {
      const db = openNodeDatabase(o);
      try {
        process.exitCode = runDeliveriesList(db, o);
      } finally {
        db.close();
      }
    });
  cmd
    .command('replay')
    .description('Make a dead (or any) delivery pending again, attempts reset; the running node sends it')
    .argument('[id]', 'delivery id')
    .option('--all-dead', 'replay every dead delivery')
    .option('--data-dir <dir>', 'data directory (default: from the configuration)')
    .option('--config <file>', 'node.yaml')
    .action((id: string | undefined, o: DbOptions & { allDead?: boolean }) => {
      const db = openNodeDatabase(o);
      try {
        process.exitCode = runDeliveriesReplay(db, id, o);
      } finally {
        db.close();
      }
    });
}
