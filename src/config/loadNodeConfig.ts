import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, formatIssues } from '../pipeline/errors';
import { nodeConfigSchema, type NodeConfig } from './nodeConfigSchema';

/** Flags of `serve` that override the file (issue: --port, --ae-title...). */
export interface NodeConfigOverrides {
  port?: number;
  aeTitle?: string;
  dataDir?: string;
  httpPort?: number;
  seriesQuietSeconds?: number;
  rulesFile?: string;
  modelsDir?: string;
  destinations?: Record<string, string>;
}

/** Deep-freezes a parsed configuration: parse once, report every problem, freeze (STYLE.md 5). */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

/**
 * Parses and validates a node configuration object. Throws ConfigError listing every problem
 * as `path: message` (for example `dimse.port: Expected number, received string`).
 */
export function parseNodeConfig(
  raw: unknown,
  overrides: NodeConfigOverrides = {},
  source = 'node.yaml',
): NodeConfig {
  const base = raw === null || raw === undefined ? {} : raw;
  if (typeof base !== 'object' || Array.isArray(base)) {
    throw new ConfigError(`${source}: the configuration must be a mapping`, ['(root): Expected object']);
  }
  const merged = applyOverrides(base as Record<string, unknown>, overrides);
  const result = nodeConfigSchema.safeParse(merged);
  if (!result.success) {
    const details = formatIssues(result.error.issues);
    throw new ConfigError(`${source}: ${details.length} problem(s)`, details);
  }
  const cfg = result.data;
  if (cfg.dimse.tls.enabled && (!cfg.dimse.tls.key || !cfg.dimse.tls.cert)) {
    throw new ConfigError(`${source}: 1 problem(s)`, [
      'dimse.tls: key and cert are required when tls.enabled is true',
    ]);
  }
  return deepFreeze(cfg);
}

function applyOverrides(raw: Record<string, unknown>, o: NodeConfigOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(raw);
  const section = (k: string): Record<string, unknown> => {
    const v = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    out[k] = fresh;
    return fresh;
  };
  if (o.port !== undefined) section('dimse').port = o.port;
  if (o.aeTitle !== undefined) out.aeTitle = o.aeTitle;
  if (o.dataDir !== undefined) out.dataDir = o.dataDir;
  if (o.httpPort !== undefined) section('http').port = o.httpPort;
  if (o.seriesQuietSeconds !== undefined) section('assembly').seriesQuietSeconds = o.seriesQuietSeconds;
  if (o.rulesFile !== undefined) out.rulesFile = o.rulesFile;
  if (o.modelsDir !== undefined) out.modelsDir = o.modelsDir;
  if (o.destinations) {
    const dests = section('destinations');
    for (const [name, url] of Object.entries(o.destinations)) {
      const prev = dests[name];
      dests[name] = prev && typeof prev === 'object' ? { ...(prev as object), url } : { url };
    }
  }
  return out;
}

/**
 * Reads a YAML file and validates it. With no file, the embedded defaults are used.
 * Relative paths in the result (dataDir, rulesFile, modelsDir) stay relative to the working directory.
 */
export function loadNodeConfig(file: string | undefined, overrides: NodeConfigOverrides = {}): NodeConfig {
  if (!file) return parseNodeConfig({}, overrides, 'embedded default configuration');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      `${file}: not valid YAML`,
      doc.errors.map(
        (e) => `${e.linePos?.[0] ? `line ${e.linePos[0].line}` : '(root)'}: ${e.message.split('\n')[0]}`,
      ),
    );
  }
  return parseNodeConfig(doc.toJS(), overrides, path.basename(file));
}
