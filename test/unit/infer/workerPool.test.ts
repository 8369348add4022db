import fs from 'node:fs';
import path from 'node:path';
import { loadManifest } from '../../../src/infer';
import { WorkerPool } from '../../../src/infer/worker/WorkerPool';
import { silentLogger } from '../../../src/logging/logger';
import { systemClock } from '../../../src/pipeline/clock';
import { heavyGraph, modelBytes } from '../../../scripts/buildTestModels';
import { tempDir } from '../../helpers/env';
import { REPO_MODELS_DIR } from './helpers/repoModels';
import { pixelsOf, writeImage } from './helpers/writeImage';

/**
 * Timeouts are real here (system clock): a deliberately heavy graph (eight 2048 x 2048 matrix
 * products, seconds of CPU) against a 300 ms limit, after the worker is warm.
 */
describe('WorkerPool', () => {
  it('times out a run, replaces its worker, and keeps serving; runs beyond its size wait in order', async () => {
    const dir = tempDir('infer-pool-');
    const heavyPath = path.join(dir, 'heavy.onnx');
    fs.writeFileSync(heavyPath, modelBytes(heavyGraph(8)));
    const cxr = await loadManifest(path.join(REPO_MODELS_DIR, 'test-cxr-findings'));
    const img = writeImage(dir, {
      rows: 64,
      columns: 64,
      pixels: pixelsOf(64, 64, () => 4095),
      pixelSpacing: [0.2, 0.2],
    });
    const light = {
      manifest: cxr,
      instances: [img],
      settings: {},
      key: 'test-cxr-findings@1.0.0',
      modelPath: path.join(REPO_MODELS_DIR, 'test-cxr-findings', 'model.onnx'),
    };
    const heavy = {
      ...light,
      key: 'test-heavy@1.0.0',
      modelPath: heavyPath,
      manifest: { ...cxr, id: 'test-heavy', labels: [] },
    };

    const pool = new WorkerPool({ size: 1, clock: systemClock, logger: silentLogger });
    try {
      const a = pool.run(light, 60_000);
      const b = pool.run(light, 60_000);
      expect(pool.stats()).toEqual({ workers: 1, busy: 1, queued: 1, replaced: 0, retiring: 0 });
      await Promise.all([a, b]);
      expect(pool.stats()).toEqual({ workers: 1, busy: 0, queued: 0, replaced: 0, retiring: 0 });

      await expect(pool.run(heavy, 300)).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: expect.stringMatching(/test-heavy@1.0.0 did not finish within 300 ms/),
      });
      expect(pool.stats()).toMatchObject({ workers: 1, replaced: 1, retiring: 1 });
      const after = await pool.run(light, 60_000);
      expect(after.findings[0].probability).toBeCloseTo(1 / (1 + Math.exp(-3)), 5);
    } finally {
      await pool.close();
    }
    expect(pool.stats()).toMatchObject({ workers: 0, retiring: 0 });
    await expect(pool.run(light, 1000)).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  }, 60_000);
});
