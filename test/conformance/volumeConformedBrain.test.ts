import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { assembleVolume, conformedGrid, resampleVolume } from '../../src/dicom/volume';
import { BRAIN_SERIES_DIR, SHARED_MODELS_DIR, describeIf } from '../helpers/env';

jest.setTimeout(180_000);

/**
 * onnxruntime-node checks tensors with `instanceof Float32Array`, which fails across Jest's VM
 * realm; the model runs in a plain worker thread (as the infer stage does) and returns the
 * argmax label counts.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');
(async () => {
  const session = await ort.InferenceSession.create(workerData.model);
  const input = new Float32Array(workerData.input);
  const out = await session.run({ input: new ort.Tensor('float32', input, [1, 1, 256, 256, 256]) });
  const logits = out[session.outputNames[0]].data;
  const n = 256 ** 3;
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    let best = 0;
    if (logits[n + i] > logits[i]) best = 1;
    if (logits[2 * n + i] > logits[best * n + i]) best = 2;
    counts[best]++;
  }
  parentPort.postMessage({ counts });
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

function runModelInWorker(model: string, input: Float32Array): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { model, input: input.buffer },
      transferList: [input.buffer as ArrayBuffer],
    });
    worker.once('message', (m: { counts?: number[]; error?: string }) => {
      void worker.terminate();
      if (m.counts) resolve(m.counts);
      else reject(new Error(m.error));
    });
    worker.once('error', reject);
  });
}

/**
 * The geometry end to end: the series assembled from its headers, conformed to 256³ 1 mm LIA,
 * min-max scaled and run through niivue-brain-gwm must land within 1 % of the reference volumes
 * in ../shared/data/README.md (WM 518,540 and GM 735,212 voxels). A flipped or shifted grid would
 * miss by far more.
 */
describeIf({ shared: true })('conformed brain volume reproduces the reference segmentation', () => {
  it('gives white and grey matter volumes within 1 % of the reference', async () => {
    const files = fs
      .readdirSync(BRAIN_SERIES_DIR)
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => path.join(BRAIN_SERIES_DIR, f));
    const { volume } = await assembleVolume(files);
    const conformed = resampleVolume(volume, conformedGrid(volume, [256, 256, 256], 1, 'LIA'), 'trilinear');
    let min = Infinity;
    let max = -Infinity;
    for (const v of conformed.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const input = new Float32Array(conformed.data.length);
    for (let i = 0; i < input.length; i++) input[i] = (conformed.data[i]! - min) / (max - min);
    const counts = await runModelInWorker(
      path.join(SHARED_MODELS_DIR, 'niivue-brain-gwm', 'model.onnx'),
      input,
    );
    console.log(`conformed brain: WM ${counts[1]} voxels, GM ${counts[2]} voxels`);
    expect(Math.abs(counts[1]! / 518_540 - 1)).toBeLessThan(0.01);
    expect(Math.abs(counts[2]! / 735_212 - 1)).toBeLessThan(0.01);
  });
});
