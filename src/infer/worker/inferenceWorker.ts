import { parentPort } from 'node:worker_threads';
import { NodeError } from '../../pipeline/errors';
import { runModelJob } from '../engine/runModelJob';
import { OrtSessionCache } from './ortRunner';
import type { WorkerRequest, WorkerResponse } from './protocol';

/**
 * Inference worker thread: decodes, assembles, preprocesses, runs the ONNX session and
 * postprocesses one series per message, off the main event loop. Sessions are cached per
 * model key for the life of the thread.
 */
const sessions = new OrtSessionCache();

parentPort?.on('message', (req: WorkerRequest) => {
  void handle(req);
});

async function handle(req: WorkerRequest): Promise<void> {
  let msg: WorkerResponse;
  try {
    const output = await runModelJob({
      manifest: req.manifest,
      instances: req.instances,
      settings: req.settings,
      runner: sessions.runner(req.key, req.modelPath),
    });
    msg = { id: req.id, ok: true, output };
  } catch (e) {
    const err = e as Error;
    msg = {
      id: req.id,
      ok: false,
      code: e instanceof NodeError ? e.code : 'INFERENCE_FAILED',
      message: err?.message ?? String(e),
      details: e instanceof NodeError ? [...e.details] : [],
    };
  }
  parentPort?.postMessage(msg);
}
