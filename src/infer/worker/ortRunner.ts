import * as ort from 'onnxruntime-node';
import { NodeError } from '../../pipeline/errors';
import type { TensorRunner } from '../engine/modelJobTypes';
import type { TensorData } from './protocol';

/** One onnxruntime session per model key, created on first use and kept (per thread). */
export class OrtSessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  /** A runner over the cached session of `key` (created from `modelPath` when new). */
  runner(key: string, modelPath: string): TensorRunner {
    return { run: (feeds) => this.run(key, modelPath, feeds) };
  }

  get size(): number {
    return this.sessions.size;
  }

  private session(key: string, modelPath: string): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all' });
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  private async run(
    key: string,
    modelPath: string,
    feeds: Record<string, TensorData>,
  ): Promise<Record<string, TensorData>> {
    let session: ort.InferenceSession;
    try {
      session = await this.session(key, modelPath);
    } catch (e) {
      throw new NodeError(
        'INFERENCE_FAILED',
        `model ${key}: onnxruntime could not load the model: ${(e as Error).message}`,
      );
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await session.run(ortFeeds);
    } catch (e) {
      throw new NodeError('INFERENCE_FAILED', `model ${key}: run failed: ${(e as Error).message}`, [
        `graph inputs: ${session.inputNames.join(', ')}`,
        `graph outputs: ${session.outputNames.join(', ')}`,
      ]);
    }
    const result: Record<string, TensorData> = {};
    for (const [name, v] of Object.entries(out)) {
      const t = v as ort.Tensor;
      if (t.type !== 'float32')
        throw new NodeError(
          'INFERENCE_FAILED',
          `model ${key}: output ${name} is ${t.type}, float32 expected`,
        );
      result[name] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
    }
    return result;
  }
}
