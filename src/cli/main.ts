import { Command, CommanderError } from 'commander';
import { NodeError } from '../pipeline/errors';
import { registerSendCommand } from './sendCommand';
import { registerDeliveriesCommand } from './deliveriesCommand';
import { registerRulesCommand } from './rulesCommand';
import { registerInferCommand } from './inferCommand';
import { registerModelsCommand } from './modelsCommand';
import { registerServeCommand } from './serveCommand';
import { registerSeriesCommand } from './seriesCommand';
import { registerAuditCommand } from './auditCommand';

/**
 * The `pacs-ai-node` command. Each sub-command lives in its own file and registers itself here.
 * Typed errors become an exit code and a clear message at this edge (STYLE.md 7).
 */
type Register = (program: Command) => void;

const registrations: Register[] = [
  // Each sub-command file adds one line here.
  registerSendCommand,
  registerDeliveriesCommand,
  registerRulesCommand,
  registerInferCommand,
  registerModelsCommand,
  registerServeCommand,
  registerSeriesCommand,
  registerAuditCommand,
];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('pacs-ai-node')
    .description('A DICOM node beside the PACS: receive, route to AI models, return SR/SEG/SC, audit.')
    .exitOverride()
    .showHelpAfterError();
  for (const register of registrations) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof NodeError) {
      process.stderr.write(`pacs-ai-node: ${e.message}\n`);
      for (const d of e.details) process.stderr.write(`  ${d}\n`);
      return 1;
    }
    throw e;
  }
}
