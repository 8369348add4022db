import path from 'node:path';
import { loadManifest } from '../../../src/infer/manifest/loadManifest';
import type { ModelManifest } from '../../../src/infer/manifest/modelManifestSchema';
import { WorkerPool } from '../../../src/infer/worker/WorkerPool';
import { silentLogger } from '../../../src/logging/logger';
import { systemClock } from '../../../src/pipeline/clock';
import type { SeriesInstanceRef } from '../../../src/pipeline/types';
import { tempDir } from '../../helpers/env';
import { REPO_MODELS_DIR } from './helpers/repoModels';
import { pixelsOf, writeImage, type ImageSpec } from './helpers/writeImage';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
// Jobs run in a real worker thread: onnxruntime's output tensors fail instanceof checks inside
// jest's sandbox, and the worker is how the engine runs them anyway.
let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool({ size: 1, clock: systemClock, logger: silentLogger });
});
afterAll(() => pool.close());

async function run(
  id: string,
  specs: ImageSpec[],
  settings: Record<string, unknown> = {},
  manifestPatch?: (m: ModelManifest) => ModelManifest,
) {
  const dir = tempDir('infer-job-');
  let manifest = await loadManifest(path.join(REPO_MODELS_DIR, id));
  if (manifestPatch) manifest = manifestPatch(manifest);
  const instances: SeriesInstanceRef[] = specs.map((s) => writeImage(dir, s));
  const output = await pool.run(
    {
      manifest,
      instances,
      settings,
      key: `${id}@${manifest.version}`,
      modelPath: path.join(REPO_MODELS_DIR, id, 'model.onnx'),
    },
    60_000,
  );
  return { output, instances };
}

describe('model job in a worker: classification (test-cxr-findings)', () => {
  const uniform = (v: number): ImageSpec => ({
    rows: 128,
    columns: 128,
    pixels: pixelsOf(128, 128, () => v),
    pixelSpacing: [0.2, 0.2],
  });

  it('gives sigmoid(mean * W + B) for every label with the manifest thresholds', async () => {
    // 3276 / 4095 = 0.8 after the fixed-range normalisation.
    const { output, instances } = await run('test-cxr-findings', [uniform(3276)]);
    expect(output.outOfScope).toBe(false);
    const [cardio, effusion, ptx] = output.findings;
    expect(cardio.label).toBe('Cardiomegaly');
    expect(cardio.probability).toBeCloseTo(sigmoid(6 * 0.8 - 3), 5);
    expect(effusion.probability).toBeCloseTo(sigmoid(-6 * 0.8 + 3), 5);
    expect(ptx.probability).toBeCloseTo(sigmoid(-2), 5);
    expect([cardio.present, effusion.present, ptx.present]).toEqual([true, false, false]);
    expect([cardio.threshold, effusion.threshold, ptx.threshold]).toEqual([0.5, 0.5, 0.3]);
    expect(cardio.code).toEqual({ value: '8186001', scheme: 'SCT', meaning: 'Cardiomegaly' });
    expect(output.algorithmParameters['threshold.Pneumothorax']).toBe('0.3');
    // The heat map output (the preprocessed image) back on the 128 x 128 source image.
    expect(output.heatMaps).toHaveLength(1);
    const hm = output.heatMaps![0];
    expect([hm.sopInstanceUid, hm.frameNumber, hm.rows, hm.columns]).toEqual([
      instances[0].sopInstanceUid,
      1,
      128,
      128,
    ]);
    expect(hm.data.every((v) => Math.abs(v - 0.8) < 1e-6)).toBe(true);
  });

  it('takes thresholds from the rule settings: per label first, then a global one', async () => {
    const perLabel = await run('test-cxr-findings', [uniform(3276)], { thresholds: { Cardiomegaly: 0.9 } });
    expect(perLabel.output.findings[0].present).toBe(false);
    expect(perLabel.output.findings[0].threshold).toBe(0.9);
    const global = await run('test-cxr-findings', [uniform(3276)], { threshold: 0.1 });
    expect(global.output.findings.map((f) => f.present)).toEqual([true, true, true]);
  });

  it('inverts MONOCHROME1 before the model sees it', async () => {
    // Top quarter 4095, the rest 0: mean 0.25 as MONOCHROME2, 0.75 once inverted as MONOCHROME1.
    const quarter = pixelsOf(128, 128, (r) => (r < 32 ? 4095 : 0));
    const m2 = await run('test-cxr-findings', [
      { rows: 128, columns: 128, pixels: quarter, pixelSpacing: [0.2, 0.2] },
    ]);
    const m1 = await run('test-cxr-findings', [
      { rows: 128, columns: 128, pixels: quarter, pixelSpacing: [0.2, 0.2], photometric: 'MONOCHROME1' },
    ]);
    expect(m2.output.findings[0].probability).toBeCloseTo(sigmoid(6 * 0.25 - 3), 5);
    expect(m1.output.findings[0].probability).toBeCloseTo(sigmoid(6 * 0.75 - 3), 5);
  });

  it('is out of scope when the pixel spacing is outside the contract', async () => {
    const { output } = await run('test-cxr-findings', [{ ...uniform(100), pixelSpacing: [9, 9] }]);
    expect(output.outOfScope).toBe(true);
    expect(output.reason).toMatch(/spacing 9\.000 mm outside \[0\.05, 5\] mm/);
    expect(output.findings).toEqual([]);
  });

  it('fails with INFERENCE_FAILED when the manifest input shape does not match what it builds', async () => {
    await expect(
      run('test-cxr-findings', [uniform(100)], {}, (m) => ({
        ...m,
        input: { ...m.input, tensor: { name: 'image', shape: [1, 1, 32, 32] } },
      })),
    ).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
  });
});

describe('model job in a worker: segmentation (test-lung-seg)', () => {
  // 64x64 source, 0.5 mm pixels; the model works on 32x32 (1 mm pixels).
  const blob = (r0: number, extra = false): ImageSpec => ({
    rows: 64,
    columns: 64,
    pixelSpacing: [0.5, 0.5],
    pixels: pixelsOf(64, 64, (r, c) => {
      if (r >= r0 && r < r0 + 16 && c >= 16 && c < 48) return 1000;
      if (extra && r >= 4 && r < 10 && c >= 52 && c < 58) return 1000; // small 3x3 (model) block
      if (extra && r >= 30 && r < 32 && c < 2) return 1000; // one isolated model pixel
      return 0;
    }),
  });
  /** The blob on the source grid, minus the 2x2 corners the 3x3 median removes. */
  const expectedMask = (r0: number): Uint8Array =>
    Uint8Array.from(
      pixelsOf(64, 64, (r, c) => {
        if (!(r >= r0 && r < r0 + 16 && c >= 16 && c < 48)) return 0;
        const cornerRow = r < r0 + 2 || r >= r0 + 14;
        const cornerCol = c < 18 || c >= 46;
        return cornerRow && cornerCol ? 0 : 1;
      }),
    );

  it('segments without rotation when the mask is large enough; median filter and largest component clean it', async () => {
    const { output, instances } = await run('test-lung-seg', [blob(8, true)]);
    expect(output.algorithmParameters['rotate-and-retry']).toBe('not needed');
    const lv = output.labelVolume!;
    expect([lv.rows, lv.columns]).toEqual([64, 64]);
    expect(lv.frames).toEqual([{ sopInstanceUid: instances[0].sopInstanceUid, frameNumber: 1 }]);
    expect(Buffer.from(lv.data).equals(Buffer.from(expectedMask(8)))).toBe(true);
    expect(lv.segments).toEqual([
      {
        segmentNumber: 1,
        label: 'Lung',
        category: { value: '91723000', scheme: 'SCT', meaning: 'Anatomical Structure' },
        type: { value: '39607008', scheme: 'SCT', meaning: 'Lung structure' },
        color: [128, 174, 128],
      },
    ]);
    // 8 x 16 model pixels of 1 mm^2 minus 4 corners = 124 mm^2.
    expect(output.measurements).toHaveLength(1);
    expect(output.measurements[0]).toMatchObject({
      name: 'Lung area',
      value: 1.24,
      unit: { code: 'cm2' },
      segmentNumber: 1,
    });
    expect(output.findings[0]).toMatchObject({ label: 'Lung', present: true, probability: null });
  });

  it('rotates by 180 degrees and retries when the mask is too small, and maps the mask back', async () => {
    const { output } = await run('test-lung-seg', [blob(40)]);
    expect(output.algorithmParameters['rotate-and-retry']).toBe('rotated 180');
    expect(Buffer.from(output.labelVolume!.data).equals(Buffer.from(expectedMask(40)))).toBe(true);
    expect(output.measurements[0].value).toBeCloseTo(1.24, 10);
  });

  it('keeps the empty mask when no rotation helps', async () => {
    const { output } = await run('test-lung-seg', [
      { rows: 64, columns: 64, pixelSpacing: [0.5, 0.5], pixels: pixelsOf(64, 64, () => 0) },
    ]);
    expect(output.algorithmParameters['rotate-and-retry']).toBe('no rotation passed');
    expect(output.labelVolume!.data.every((v) => v === 0)).toBe(true);
    expect(output.findings[0].present).toBe(false);
    expect(output.measurements[0].value).toBe(0);
  });
});

describe('model job in a worker: image-to-image (test-nm-correct)', () => {
  it('returns 2 * (modality value) + 10 on the source grid, the modality LUT applied first', async () => {
    const pixels = pixelsOf(64, 64, (r, c) => r + c);
    const { output, instances } = await run('test-nm-correct', [
      { rows: 64, columns: 64, pixels, modality: 'NM', bodyPart: null, rescale: { slope: 2, intercept: -5 } },
    ]);
    expect(output.derivedFrames).toHaveLength(1);
    const f = output.derivedFrames![0];
    expect(f).toMatchObject({
      sopInstanceUid: instances[0].sopInstanceUid,
      frameNumber: 1,
      rows: 64,
      columns: 64,
      rescaleSlope: 1,
      rescaleIntercept: 0,
    });
    // 2 * (2p - 5) + 10 = 4p
    expect(f.data.constructor.name).toBe('Uint16Array'); // structured clone: another realm
    expect(Array.from(f.data)).toEqual(Array.from(pixels).map((p) => 4 * p));
  });
});

describe('model job in a worker: classification with clinical inputs (test-bone-age-sex)', () => {
  const hand = (age: string | undefined, sex: string | undefined): ImageSpec => ({
    rows: 32,
    columns: 32,
    bodyPart: 'HAND',
    pixels: pixelsOf(32, 32, () => 51), // 51 / 255 = 0.2
    ...(age ? { patientAge: age } : {}),
    ...(sex ? { patientSex: sex } : {}),
  });

  it('feeds PatientAge in years and PatientSex as male = 1', async () => {
    const boy = await run('test-bone-age-sex', [hand('010Y', 'M')]);
    expect(boy.output.findings[0].probability).toBeCloseTo(sigmoid(0.2 + 0.1 * 10 + 0.5 - 2), 5);
    const girl = await run('test-bone-age-sex', [hand('010Y', 'F')]);
    expect(girl.output.findings[0].probability).toBeCloseTo(sigmoid(0.2 + 0.1 * 10 - 2), 5);
    const baby = await run('test-bone-age-sex', [hand('006M', 'M')]);
    expect(baby.output.findings[0].probability).toBeCloseTo(sigmoid(0.2 + 0.1 * 0.5 + 0.5 - 2), 5);
  });

  it('is out of scope when PatientSex is neither M nor F, or PatientAge is missing', async () => {
    const other = await run('test-bone-age-sex', [hand('010Y', 'O')]);
    expect(other.output).toMatchObject({
      outOfScope: true,
      reason: 'PatientSex value is not usable as sex-male',
    });
    const noAge = await run('test-bone-age-sex', [hand(undefined, 'F')]);
    expect(noAge.output).toMatchObject({ outOfScope: true, reason: 'PatientAge is missing' });
  });
});
