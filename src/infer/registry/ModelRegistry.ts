import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../logging/logger';
import { NodeError } from '../../pipeline/errors';
import { MANIFEST_FILE, loadManifest } from '../manifest/loadManifest';
import type { ModelManifest } from '../manifest/modelManifestSchema';
import { sha256File } from './sha256File';

/** A model whose manifest is valid and whose ONNX file matches the manifest's sha256. */
export interface LoadedModel {
  manifest: ModelManifest;
  /** The model folder. */
  dir: string;
  /** Absolute path of the verified ONNX file. */
  modelPath: string;
  /** `<id>@<version>`: sessions are cached per key. */
  key: string;
}

/** One row of {@link ModelRegistry.list}. */
export interface ModelListing {
  id: string;
  version: string | null;
  dir: string;
  /** The ONNX file is present. */
  installed: boolean;
  /** null when not installed or the manifest is invalid. */
  sha256Ok: boolean | null;
  problems: string[];
}

export interface ModelRegistryOptions {
  modelsDir: string;
  logger: Logger;
}

/**
 * The models on disk: `<modelsDir>/<id>/manifest.yaml` + the ONNX file. A model is data; adding
 * one never edits code (ARCHITECTURE.md). Verified files are remembered by size and mtime.
 */
export class ModelRegistry {
  readonly modelsDir: string;
  private readonly logger: Logger;
  private readonly verified = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  constructor(opts: ModelRegistryOptions) {
    if (!opts || typeof opts.modelsDir !== 'string' || opts.modelsDir.length === 0) {
      throw new NodeError('CONFIG_INVALID', 'ModelRegistry needs modelsDir');
    }
    this.modelsDir = path.resolve(opts.modelsDir);
    this.logger = opts.logger;
  }

  /** The ids (folder names) holding a manifest.yaml, sorted. */
  ids(): string[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.modelsDir, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(this.modelsDir, e.name, MANIFEST_FILE)))
      .map((e) => e.name)
      .sort();
  }

  /** Every model folder with its state; never throws for one bad model. */
  async list(): Promise<ModelListing[]> {
    const out: ModelListing[] = [];
    for (const id of this.ids()) {
      const dir = path.join(this.modelsDir, id);
      const row: ModelListing = { id, version: null, dir, installed: false, sha256Ok: null, problems: [] };
      try {
        const m = await loadManifest(dir);
        row.version = m.version;
        if (m.id !== id) row.problems.push(`manifest id ${m.id} differs from folder ${id}`);
        const file = path.join(dir, m.file);
        row.installed = fs.existsSync(file);
        if (!row.installed) row.problems.push(`${m.file} not installed`);
        else {
          row.sha256Ok = (await this.hashOf(file)) === m.sha256;
          if (!row.sha256Ok) row.problems.push(`${m.file} sha256 does not match the manifest`);
        }
      } catch (e) {
        row.problems.push((e as Error).message, ...((e as NodeError).details ?? []));
      }
      out.push(row);
    }
    return out;
  }

  /**
   * The model `id`, verified.
   * @throws NodeError MODEL_UNAVAILABLE (unknown, not installed, sha256 mismatch) or MANIFEST_INVALID.
   */
  async get(id: string): Promise<LoadedModel> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id))
      throw new NodeError('MODEL_UNAVAILABLE', `no model ${JSON.stringify(id)}`);
    const dir = path.join(this.modelsDir, id);
    if (!fs.existsSync(path.join(dir, MANIFEST_FILE)))
      throw new NodeError('MODEL_UNAVAILABLE', `no model ${id} in ${this.modelsDir}`);
    const manifest = await loadManifest(dir);
    if (manifest.id !== id)
      throw new NodeError('MODEL_UNAVAILABLE', `model folder ${id} holds a manifest for ${manifest.id}`);
    const modelPath = path.join(dir, manifest.file);
    if (!fs.existsSync(modelPath)) {
      throw new NodeError('MODEL_UNAVAILABLE', `model ${id} is not installed (${manifest.file} missing)`, [
        `pacs-ai-node models install ${id} --from <file>`,
      ]);
    }
    const actual = await this.hashOf(modelPath);
    if (actual !== manifest.sha256) {
      this.logger.error('infer.model_sha256_mismatch', {
        modelId: id,
        version: manifest.version,
        expected: manifest.sha256,
        actual,
      });
      throw new NodeError(
        'MODEL_UNAVAILABLE',
        `model ${id}: ${manifest.file} sha256 does not match the manifest; refused`,
        [`expected ${manifest.sha256}`, `actual   ${actual}`],
      );
    }
    return { manifest, dir, modelPath, key: `${manifest.id}@${manifest.version}` };
  }

  private async hashOf(file: string): Promise<string> {
    const st = fs.statSync(file);
    const known = this.verified.get(file);
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.sha256;
    const sha256 = await sha256File(file);
    this.verified.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
    return sha256;
  }
}
