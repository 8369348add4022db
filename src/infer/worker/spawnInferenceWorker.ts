import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { NodeError } from '../../pipeline/errors';

/**
 * Starts an inference worker thread in either layout:
 * - compiled (`dist/`, or `tsc --outDir` for the bench): `inferenceWorker.js` sits beside this file;
 * - TypeScript sources (jest via ts-jest): a small bootstrap teaches the worker's module loader
 *   to transpile `.ts` files with the `typescript` package (a devDependency) and loads
 *   `inferenceWorker.ts`. Production never takes this branch.
 */
export function spawnInferenceWorker(): Worker {
  const js = path.join(__dirname, 'inferenceWorker.js');
  if (fs.existsSync(js)) return new Worker(js);
  const ts = path.join(__dirname, 'inferenceWorker.ts');
  if (!fs.existsSync(ts))
    throw new NodeError('MODEL_UNAVAILABLE', `inference worker entry not found beside ${__filename}`);
  let typescriptPath: string;
  try {
    typescriptPath = require.resolve('typescript');
  } catch (e) {
    throw new NodeError(
      'MODEL_UNAVAILABLE',
      'inference worker: running from TypeScript sources needs the typescript package',
      [],
      { cause: e },
    );
  }
  return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { typescriptPath, entry: ts } });
}

/** Worker bootstrap for the TypeScript layout: a `.ts` loader, then the entry. */
const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const Module = require('node:module');
const fs = require('node:fs');
const ts = require(workerData.typescriptPath);
const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  resolveJsonModule: true,
};
Module._extensions['.ts'] = (m, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { fileName: filename, compilerOptions }).outputText;
  m._compile(out, filename);
};
require(workerData.entry);
`;
