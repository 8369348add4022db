import { InferenceEngine, ModelRegistry } from '../../../src/infer';
import { silentLogger } from '../../../src/logging/logger';
import type { AuditEventInput } from '../../../src/pipeline/audit';
import { FakeClock } from '../../../src/pipeline/clock';
import { tempDir } from '../../helpers/env';
import { deriveModel, modelsFixture } from './helpers/modelsFixture';
import { testEngine } from './helpers/testEngine';
import { pixelsOf, writeImage, type ImageSpec } from './helpers/writeImage';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('InferenceEngine', () => {
  let clock: FakeClock;
  let audit: AuditEventInput[];
  let engine: InferenceEngine;
  let modelsDir: string;

  beforeAll(() => {
    modelsDir = modelsFixture(['test-cxr-findings']);
    // The graph's input is `image`; this manifest says `pixels`: onnxruntime refuses every run.
    deriveModel(modelsDir, 'test-cxr-findings', 'test-broken', (m) => {
      (m.input as { tensor: { name: string } }).tensor.name = 'pixels';
    });
    deriveModel(modelsDir, 'test-cxr-findings', 'test-tampered', (m) => {
      m.sha256 = '0'.repeat(64);
    });
  });

  beforeEach(() => {
    clock = new FakeClock();
    audit = [];
    engine = testEngine(modelsDir, {
      clock,
      audit: { record: (e) => audit.push(e) },
      workers: 2,
      failureThreshold: 2,
    });
  });
  afterEach(() => engine.close());

  function series(spec: Partial<ImageSpec> = {}) {
    const img = writeImage(tempDir('infer-engine-'), {
      rows: 64,
      columns: 64,
      pixels: pixelsOf(64, 64, () => 3276),
      pixelSpacing: [0.2, 0.2],
      ...spec,
    });
    return {
      studyInstanceUid: img.studyInstanceUid,
      seriesInstanceUid: img.seriesInstanceUid,
      instances: [img],
    };
  }

  it('runs a model in a worker and hands on an InferenceResult', async () => {
    const s = series();
    const r = await engine.run('test-cxr-findings', s, { threshold: 0.4 });
    expect(r).toMatchObject({
      modelId: 'test-cxr-findings',
      modelVersion: '1.0.0',
      modelName: 'Test chest X-ray findings',
      task: 'classification',
      studyInstanceUid: s.studyInstanceUid,
      seriesInstanceUid: s.seriesInstanceUid,
      sourceInstances: s.instances,
      outOfScope: false,
      reason: null,
      results: ['SR', 'SC'],
      durationMs: 0,
    });
    expect(r.findings[0].probability).toBeCloseTo(sigmoid(6 * 0.8 - 3), 5);
    expect(r.findings.map((f) => f.threshold)).toEqual([0.4, 0.4, 0.4]);
    expect(r.algorithmParameters).toMatchObject({ threshold: '0.4', 'threshold.Cardiomegaly': '0.4' });
  });

  it('does not run a series outside the contract: out of scope with the reason', async () => {
    const mr = await engine.run('test-cxr-findings', series({ modality: 'MR' }));
    expect(mr).toMatchObject({
      outOfScope: true,
      reason: 'modality MR is not one of CR, DX',
      findings: [],
      measurements: [],
      results: [],
    });
    const hand = await engine.run('test-cxr-findings', series({ bodyPart: 'HAND' }));
    expect(hand).toMatchObject({ outOfScope: true, reason: 'body part HAND is not one of CHEST' });
    const s = series();
    const two = {
      ...s,
      instances: [
        s.instances[0],
        writeImage(tempDir(), { rows: 8, columns: 8, pixels: pixelsOf(8, 8, () => 0) }),
      ],
    };
    expect(await engine.run('test-cxr-findings', two)).toMatchObject({
      outOfScope: true,
      reason: '2 images, the model takes at most 1',
    });
    expect(audit).toEqual([]);
  });

  it('refuses a model whose file does not match the manifest sha256, and an unknown model', async () => {
    await expect(engine.run('test-tampered', series())).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringMatching(/sha256 does not match/),
    });
    await expect(engine.run('no-such-model', series())).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(audit).toEqual([]);
  });

  it('disables a model that keeps failing (audited) and enables it again when the clock says so', async () => {
    const s = series();
    await expect(engine.run('test-broken', s)).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    expect(audit).toEqual([]);
    await expect(engine.run('test-broken', s)).rejects.toMatchObject({
      code: 'INFERENCE_FAILED',
      details: expect.arrayContaining(['graph inputs: image']),
    });
    expect(audit).toEqual([
      {
        event: 'model.disabled',
        actor: 'node',
        subject: 'test-broken',
        detail: expect.objectContaining({
          modelId: 'test-broken',
          version: '1.0.0',
          failures: 2,
          until: new Date(clock.now() + 60_000).toISOString(),
        }),
      },
    ]);
    await expect(engine.run('test-broken', s)).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringMatching(/disabled until/),
    });
    // Other models are not affected.
    expect((await engine.run('test-cxr-findings', s)).outOfScope).toBe(false);
    clock.advance(59_999);
    expect(audit).toHaveLength(1);
    clock.advance(1);
    expect(audit[1]).toEqual({
      event: 'model.enabled',
      actor: 'node',
      subject: 'test-broken',
      detail: { modelId: 'test-broken', version: '1.0.0' },
    });
    await expect(engine.run('test-broken', s)).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
  });

  it('validates its options', () => {
    expect(
      () =>
        new InferenceEngine({
          registry: new ModelRegistry({ modelsDir, logger: silentLogger }),
          clock,
          audit: { record: () => undefined },
          logger: silentLogger,
          workers: 0,
          timeoutMs: 1,
          failureThreshold: 1,
          disableMs: 1,
        }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
