import { type Command } from 'commander';
import { verifyAuditChain } from '../audit';
import { dataDirOf, openExistingDatabase, type CliIo } from './seriesCommand';

const stdio: CliIo = { out: process.stdout, err: process.stderr };

/**
 * `audit verify`: walks the hash chain of the audit trail (PRODUCT.md 7). Exit 0 when intact;
 * 1 naming the first row that was edited, inserted or removed.
 */
export function auditVerify(o: { dataDir?: string; config?: string }, io: CliIo = stdio): number {
  const db = openExistingDatabase(dataDirOf(o));
  try {
    const r = verifyAuditChain(db);
    if (r.ok) {
      io.out.write(`audit chain intact: ${r.rows} rows\n`);
      return 0;
    }
    io.err.write(`audit chain BROKEN at row ${r.firstBadSeq}: ${r.problem}\n`);
    return 1;
  } finally {
    db.close();
  }
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail');
  audit
    .command('verify')
    .description('verify the audit hash chain; names the first altered row')
    .option('--data-dir <dir>', 'data directory')
    .option('--config <file>', 'node.yaml (for its dataDir)')
    .action((o: { dataDir?: string; config?: string }) => {
      process.exitCode = auditVerify(o);
    });
}
