import fs from 'node:fs';
import path from 'node:path';
import { ModelRegistry, loadManifest } from '../../../src/infer';
import { silentLogger } from '../../../src/logging/logger';
import { tempDir } from '../../helpers/env';
import { deriveModel, modelsFixture } from './helpers/modelsFixture';
import { REPO_MODELS_DIR } from './helpers/repoModels';

describe('loadManifest', () => {
  it.each(['brain-gwm', 'test-cxr-findings', 'test-lung-seg', 'test-nm-correct', 'test-bone-age-sex'])(
    'accepts the committed manifest of %s',
    async (id) => {
      const m = await loadManifest(path.join(REPO_MODELS_DIR, id));
      expect(m.id).toBe(id);
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.isFrozen(m)).toBe(true);
    },
  );

  it('describes the brain model as its authors feed it', async () => {
    const m = await loadManifest(path.join(REPO_MODELS_DIR, 'brain-gwm'));
    expect(m.input).toMatchObject({
      kind: 'volume',
      tensor: { name: 'input', shape: [1, 1, 256, 256, 256] },
      grid: { dims: [256, 256, 256], spacingMm: 1, orientation: 'LIA' },
    });
    expect(m.preprocessing.map((s) => s.step)).toEqual(['resample', 'normalize']);
    expect(m.output.tensor).toBe('output');
    expect(m.source?.url).toBe('https://raw.githubusercontent.com/niivue/niivue-onnx/main/public/model.onnx');
  });

  it('lists every problem with its path', async () => {
    const dir = tempDir('manifest-');
    const models = modelsFixture([]);
    deriveModel(models, 'test-lung-seg', 'bad', (m) => {
      m.sha256 = 'XYZ';
      m.colour = 'red';
      (m.measurements as Array<{ label: string }>)[0].label = 'Heart';
      (m.preprocessing as Array<Record<string, unknown>>)[2] = { step: 'normalize', method: 'fixed-range' };
      (m.input as Record<string, unknown>).kind = 'volume';
    });
    void dir;
    const err = await loadManifest(path.join(models, 'bad')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MANIFEST_INVALID' });
    const details = (err as { details: string[] }).details.join('\n');
    expect(details).toMatch(/sha256: 64 lowercase hex digits/);
    expect(details).toMatch(/Unrecognized key\(s\) in object: 'colour'/);
    expect(details).toMatch(/input.grid: a volume input needs grid/);
  });

  it('reports the cross-field rules once the fields are valid', async () => {
    const models = modelsFixture([]);
    deriveModel(models, 'test-lung-seg', 'bad2', (m) => {
      (m.measurements as Array<{ label: string }>)[0].label = 'Heart';
      (m.preprocessing as Array<Record<string, unknown>>)[2] = { step: 'normalize', method: 'fixed-range' };
    });
    const err = await loadManifest(path.join(models, 'bad2')).catch((e: unknown) => e);
    expect((err as { details: string[] }).details).toEqual([
      'preprocessing[2].range: fixed-range needs range: [low, high]',
      'measurements[0].label: no label named Heart',
    ]);
  });

  it('refuses a file that is not YAML or not there', async () => {
    const dir = tempDir('manifest-');
    fs.writeFileSync(path.join(dir, 'manifest.yaml'), 'id: [unclosed');
    await expect(loadManifest(dir)).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringMatching(/not valid YAML/),
    });
    await expect(loadManifest(path.join(dir, 'none'))).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
      message: expect.stringMatching(/cannot read/),
    });
  });
});

describe('ModelRegistry', () => {
  it('scans ids, lists install and sha256 state, and verifies on get', async () => {
    const dir = modelsFixture(['test-cxr-findings', 'test-nm-correct']);
    deriveModel(dir, 'test-cxr-findings', 'tampered', (m) => {
      m.sha256 = 'f'.repeat(64);
    });
    fs.cpSync(path.join(REPO_MODELS_DIR, 'brain-gwm'), path.join(dir, 'brain-gwm'), { recursive: true });
    fs.rmSync(path.join(dir, 'brain-gwm', 'model.onnx'), { force: true });
    fs.mkdirSync(path.join(dir, 'not-a-model'));
    const registry = new ModelRegistry({ modelsDir: dir, logger: silentLogger });
    expect(registry.ids()).toEqual(['brain-gwm', 'tampered', 'test-cxr-findings', 'test-nm-correct']);
    const rows = await registry.list();
    expect(rows.map((r) => [r.id, r.version, r.installed, r.sha256Ok])).toEqual([
      ['brain-gwm', '1.0.0', false, null],
      ['tampered', '1.0.0', true, false],
      ['test-cxr-findings', '1.0.0', true, true],
      ['test-nm-correct', '1.0.0', true, true],
    ]);
    expect(rows[1].problems).toEqual(['model.onnx sha256 does not match the manifest']);

    const loaded = await registry.get('test-nm-correct');
    expect(loaded).toMatchObject({
      key: 'test-nm-correct@1.0.0',
      modelPath: path.join(dir, 'test-nm-correct', 'model.onnx'),
    });
    await expect(registry.get('tampered')).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      details: [`expected ${'f'.repeat(64)}`, expect.stringMatching(/^actual {3}[0-9a-f]{64}$/)],
    });
    await expect(registry.get('brain-gwm')).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringMatching(/not installed/),
    });
    await expect(registry.get('../etc')).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });

  it('notices a model file changed after it was verified', async () => {
    const dir = modelsFixture(['test-nm-correct']);
    const registry = new ModelRegistry({ modelsDir: dir, logger: silentLogger });
    await registry.get('test-nm-correct');
    const file = path.join(dir, 'test-nm-correct', 'model.onnx');
    fs.appendFileSync(file, Buffer.from([0]));
    await expect(registry.get('test-nm-correct')).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });

  it('has no models in a folder that does not exist', async () => {
    const registry = new ModelRegistry({ modelsDir: path.join(tempDir(), 'absent'), logger: silentLogger });
    expect(registry.ids()).toEqual([]);
    expect(await registry.list()).toEqual([]);
  });
});
