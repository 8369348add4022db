import fs from 'node:fs/promises';
import path from 'node:path';
import { type Command } from 'commander';
import { loadNodeConfig } from '../config/loadNodeConfig';
import { num, readDicomHeader, str, type NaturalDataset } from '../dicom';
import { ConfigError } from '../pipeline/errors';
import { evaluateRules, scanModelIds, validateRules, type RuleSet, type RulesContext } from '../route';

/** Where `rules check` and `rules explain` write. */
export interface RulesCommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Options shared by `rules check` and `rules explain`. */
export interface RulesFileOptions {
  /** The rules file; default: node config `rulesFile` (config/rules.yaml). */
  rules?: string;
  /** The models folder; default: node config `modelsDir`. */
  models?: string;
  /** The node configuration (node.yaml); default: the embedded default configuration. */
  config?: string;
}

/** The peer that `rules explain` pretends sent the files. */
export interface ExplainPeerOptions {
  callingAet: string;
  calledAet: string;
  peerIp: string;
}

const stdio: RulesCommandIo = { out: process.stdout, err: process.stderr };

/**
 * The destination names the node will have: those configured, or — when none is configured —
 * the folder destination `results` that the node adds itself (src/app.ts withDefaultDestinations).
 */
export function destinationNamesOf(destinations: Readonly<Record<string, unknown>>): string[] {
  const names = Object.keys(destinations);
  return names.length > 0 ? names : ['results'];
}

/**
 * Resolves the rules file and the validation context: destination names from the node
 * configuration; model ids from `<modelsDir>/<id>/manifest.yaml`, or unchecked (null) when the
 * models folder does not exist.
 */
export function resolveRulesContext(o: RulesFileOptions): {
  rulesFile: string;
  context: RulesContext;
  notes: string[];
} {
  const config = loadNodeConfig(o.config);
  const modelsDir = o.models ?? config.modelsDir;
  const modelIds = scanModelIds(modelsDir);
  const notes = modelIds === null ? [`models folder ${modelsDir} not found: model ids are not checked`] : [];
  return {
    rulesFile: o.rules ?? config.rulesFile,
    context: { modelIds, destinationNames: destinationNamesOf(config.destinations) },
    notes,
  };
}

async function loadRuleSet(o: RulesFileOptions, io: RulesCommandIo): Promise<RuleSet | null> {
  const { rulesFile, context, notes } = resolveRulesContext(o);
  for (const n of notes) io.err.write(`note: ${n}\n`);
  let text: string;
  try {
    text = await fs.readFile(rulesFile, 'utf8');
  } catch (e) {
    throw new ConfigError(`${rulesFile}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const r = validateRules(text, context);
  if (!r.ok) {
    io.out.write(`${rulesFile}: ${r.problems.length} problem(s)\n`);
    for (const p of r.problems) io.out.write(`${rulesFile}: ${p}\n`);
    return null;
  }
  return r.ruleSet;
}

/** `rules check`: 0 when the file is valid, 1 (with every problem listed) when it is not. */
export async function runRulesCheck(o: RulesFileOptions, io: RulesCommandIo = stdio): Promise<number> {
  const ruleSet = await loadRuleSet(o, io);
  if (!ruleSet) return 1;
  const file = o.rules ?? resolveRulesContext(o).rulesFile;
  io.out.write(`${file}: valid, ${ruleSet.rules.length} rule(s), version ${ruleSet.version}\n`);
  return 0;
}

async function collect(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await fs.stat(p);
    if (st.isDirectory()) {
      for (const n of (await fs.readdir(p)).sort()) await visit(path.join(p, n));
    } else if (st.isFile()) out.push(p);
  };
  for (const p of paths) {
    try {
      await visit(p);
    } catch (e) {
      throw new ConfigError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return out;
}

/**
 * Reads the headers of the files and groups them into series by Series Instance UID (PS3.3
 * C.7.3.1), each series ordered by Instance Number, then by file name. Unreadable files are
 * reported on `err` and skipped.
 */
export async function groupIntoSeries(
  paths: readonly string[],
  err: NodeJS.WritableStream,
): Promise<Map<string, NaturalDataset[]>> {
  const bySeries = new Map<string, Array<{ file: string; ds: NaturalDataset }>>();
  for (const file of await collect(paths)) {
    let ds: NaturalDataset;
    try {
      ds = (await readDicomHeader(file)).dataset;
    } catch {
      err.write(`skipped (not DICOM Part 10): ${file}\n`);
      continue;
    }
    const uid = str(ds, 'SeriesInstanceUID') ?? '';
    const list = bySeries.get(uid) ?? [];
    list.push({ file, ds });
    bySeries.set(uid, list);
  }
  const out = new Map<string, NaturalDataset[]>();
  for (const [uid, list] of bySeries) {
    list.sort((a, b) => {
      const na = num(a.ds, 'InstanceNumber') ?? Infinity;
      const nb = num(b.ds, 'InstanceNumber') ?? Infinity;
      return na !== nb ? na - nb : a.file.localeCompare(b.file);
    });
    out.set(
      uid,
      list.map((x) => x.ds),
    );
  }
  return out;
}

/** `rules explain`: one JSON line per series: the rules matched, the merged actions, the trace. */
export async function runRulesExplain(
  paths: readonly string[],
  o: RulesFileOptions & ExplainPeerOptions,
  io: RulesCommandIo = stdio,
): Promise<number> {
  const ruleSet = await loadRuleSet(o, io);
  if (!ruleSet) return 1;
  const series = await groupIntoSeries(paths, io.err);
  const peer = { callingAeTitle: o.callingAet, calledAeTitle: o.calledAet, peerAddress: o.peerIp };
  for (const [uid, headers] of series) {
    const d = evaluateRules(ruleSet, { headers, peer });
    const line = {
      seriesInstanceUid: uid,
      instances: headers.length,
      rulesVersion: d.rulesVersion,
      matched: d.matched,
      actions: d.actions,
      trace: d.trace,
    };
    io.out.write(`${JSON.stringify(line)}\n`);
  }
  return series.size > 0 ? 0 : 1;
}

/** Registers `pacs-ai-node rules check|explain` (docs/rules.md "Command line"). */
export function registerRulesCommand(program: Command): void {
  const rules = program
    .command('rules')
    .description('Check the routing rules, or explain how they route DICOM files');
  rules
    .command('check')
    .description('Validate a rules file; exit 0 when valid, else list every problem and exit 1')
    .option('--rules <file>', 'rules file (default: config/rules.yaml, or rulesFile of --config)')
    .option('--models <dir>', 'models folder (default: models, or modelsDir of --config)')
    .option('--config <file>', 'node configuration (destination names, modelsDir, rulesFile)')
    .action(async (opts: RulesFileOptions) => {
      process.exitCode = await runRulesCheck(opts);
    });
  rules
    .command('explain')
    .description(
      'For DICOM files or folders: one JSON line per series with the matched rules, actions and trace',
    )
    .argument('<paths...>', 'DICOM files or folders')
    .option('--rules <file>', 'rules file (default: config/rules.yaml, or rulesFile of --config)')
    .option('--models <dir>', 'models folder (default: models, or modelsDir of --config)')
    .option('--config <file>', 'node configuration (destination names, modelsDir, rulesFile)')
    .option('--calling-aet <aet>', 'calling AE title of the pretend sender', 'EXPLAIN')
    .option('--called-aet <aet>', 'called AE title', 'PACSAI')
    .option('--peer-ip <ip>', 'address of the pretend sender', '127.0.0.1')
    .action(async (paths: string[], opts: RulesFileOptions & ExplainPeerOptions) => {
      process.exitCode = await runRulesExplain(paths, opts);
    });
}
