import fs from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { loadNodeConfig } from '../config/loadNodeConfig';
import { ModelRegistry, loadManifest, sha256File } from '../infer';
import { createLogger } from '../logging/logger';
import { NodeError } from '../pipeline/errors';

/** Where the models commands write. */
export interface ModelsCommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Downloads a URL (default: global fetch); injected by tests. */
  fetch?: (url: string) => Promise<Uint8Array>;
}

const stdio: ModelsCommandIo = { out: process.stdout, err: process.stderr };

function modelsDirOf(o: { models?: string; config?: string }): string {
  return path.resolve(o.models ?? loadNodeConfig(o.config).modelsDir);
}

function registryOf(dir: string): ModelRegistry {
  return new ModelRegistry({
    modelsDir: dir,
    logger: createLogger({ level: 'error', stream: process.stderr }),
  });
}

/** `models list`: every model folder with version, installed and sha256 state. */
export async function modelsList(
  o: { models?: string; config?: string; json?: boolean },
  io: ModelsCommandIo = stdio,
): Promise<number> {
  const rows = await registryOf(modelsDirOf(o)).list();
  if (o.json) io.out.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    for (const r of rows) {
      const state = !r.installed ? 'not installed' : r.sha256Ok ? 'ok' : 'SHA256 MISMATCH';
      io.out.write(
        `${r.id}\t${r.version ?? '?'}\t${state}${r.problems.length ? `\t${r.problems.join('; ')}` : ''}\n`,
      );
    }
    if (rows.length === 0) io.out.write(`no models in ${modelsDirOf(o)}\n`);
  }
  return 0;
}

/** `models verify`: sha256 of every installed model; exit 1 when one does not match or a manifest is invalid. */
export async function modelsVerify(
  o: { models?: string; config?: string },
  io: ModelsCommandIo = stdio,
): Promise<number> {
  const rows = await registryOf(modelsDirOf(o)).list();
  let bad = 0;
  for (const r of rows) {
    if (r.version === null) {
      bad++;
      io.out.write(`FAIL ${r.id}: ${r.problems.join('; ')}\n`);
    } else if (!r.installed) io.out.write(`skip ${r.id}@${r.version}: not installed\n`);
    else if (r.sha256Ok) io.out.write(`ok   ${r.id}@${r.version}\n`);
    else {
      bad++;
      io.out.write(`FAIL ${r.id}@${r.version}: ${r.problems.join('; ')}\n`);
    }
  }
  return bad === 0 ? 0 : 1;
}

/** Writes `bytes` as the model file of `dir` after checking them against the manifest (temp name, then rename). */
async function placeModel(dir: string, bytes: Uint8Array | null, from: string | null): Promise<string> {
  const manifest = await loadManifest(dir);
  const target = path.join(dir, manifest.file);
  const tmp = `${target}.tmp-${process.pid}`;
  if (from) fs.copyFileSync(from, tmp);
  else fs.writeFileSync(tmp, bytes!);
  const actual = await sha256File(tmp);
  if (actual !== manifest.sha256) {
    fs.rmSync(tmp, { force: true });
    throw new NodeError(
      'MODEL_UNAVAILABLE',
      `${manifest.id}: the file's sha256 does not match the manifest; not installed`,
      [`expected ${manifest.sha256}`, `actual   ${actual}`],
    );
  }
  fs.renameSync(tmp, target);
  return `${manifest.id}@${manifest.version}`;
}

function modelDir(modelsDir: string, id: string): string {
  const dir = path.join(modelsDir, id);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id) || !fs.existsSync(path.join(dir, 'manifest.yaml'))) {
    throw new NodeError('MODEL_UNAVAILABLE', `no model ${id} in ${modelsDir}`);
  }
  return dir;
}

/** `models install <id> --from <file>`: copies an ONNX file in after checking its sha256. */
export async function modelsInstall(
  id: string,
  o: { from: string; models?: string; config?: string },
  io: ModelsCommandIo = stdio,
): Promise<number> {
  const dir = modelDir(modelsDirOf(o), id);
  if (!fs.existsSync(o.from)) throw new NodeError('NOT_FOUND', `${o.from} not found`);
  const key = await placeModel(dir, null, o.from);
  io.out.write(`installed ${key}\n`);
  return 0;
}

async function defaultFetch(url: string): Promise<Uint8Array> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** `models fetch <id>`: downloads the manifest's source.url, checks its sha256, installs it. */
export async function modelsFetch(
  id: string,
  o: { models?: string; config?: string },
  io: ModelsCommandIo = stdio,
): Promise<number> {
  const dir = modelDir(modelsDirOf(o), id);
  const manifest = await loadManifest(dir);
  if (!manifest.source)
    throw new NodeError('MODEL_UNAVAILABLE', `${id}: the manifest has no source.url to fetch from`);
  let bytes: Uint8Array;
  try {
    bytes = await (io.fetch ?? defaultFetch)(manifest.source.url);
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new NodeError('MODEL_UNAVAILABLE', `${id}: cannot download ${manifest.source.url}: ${cause}`, [
      `without network, copy the file in: pacs-ai-node models install ${id} --from <path to ${manifest.file}>`,
    ]);
  }
  const key = await placeModel(dir, bytes, null);
  io.out.write(`fetched and installed ${key}\n`);
  return 0;
}

/** Registers `pacs-ai-node models list|verify|install|fetch`. */
export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('List, verify and install models (models/<id>/manifest.yaml + model.onnx)');
  const common = (c: Command): Command =>
    c
      .option('--models <dir>', 'the models folder (default: node config modelsDir)')
      .option('--config <file>', 'node configuration (node.yaml)');
  common(
    models
      .command('list')
      .description('List the models, installed or not, with their sha256 state')
      .option('--json', 'print JSON'),
  ).action(async (o: { models?: string; config?: string; json?: boolean }) => {
    process.exitCode = await modelsList(o);
  });
  common(
    models.command('verify').description('Check the sha256 of every installed model against its manifest'),
  ).action(async (o: { models?: string; config?: string }) => {
    process.exitCode = await modelsVerify(o);
  });
  common(
    models
      .command('install <id>')
      .description("Copy a model file in after checking its sha256 against the model's manifest")
      .requiredOption('--from <file>', 'the ONNX file to install'),
  ).action(async (id: string, o: { from: string; models?: string; config?: string }) => {
    process.exitCode = await modelsInstall(id, o);
  });
  common(
    models
      .command('fetch <id>')
      .description("Download a model from its manifest's source.url and install it"),
  ).action(async (id: string, o: { models?: string; config?: string }) => {
    process.exitCode = await modelsFetch(id, o);
  });
}
