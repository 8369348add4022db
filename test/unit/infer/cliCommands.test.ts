import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runInfer, type InferSummary } from '../../../src/cli/inferCommand';
import { buildProgram } from '../../../src/cli/main';
import { modelsFetch, modelsInstall, modelsList, modelsVerify } from '../../../src/cli/modelsCommand';
import { tempDir } from '../../helpers/env';
import { modelsFixture } from './helpers/modelsFixture';
import { REPO_MODELS_DIR } from './helpers/repoModels';
import { pixelsOf, writeImage } from './helpers/writeImage';

function io() {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, err: out, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A models folder whose test-nm-correct has its manifest but not its ONNX file yet. */
function uninstalled(): { dir: string; onnx: string } {
  const dir = modelsFixture(['test-nm-correct']);
  fs.rmSync(path.join(dir, 'test-nm-correct', 'model.onnx'));
  return { dir, onnx: path.join(REPO_MODELS_DIR, 'test-nm-correct', 'model.onnx') };
}

describe('pacs-ai-node models', () => {
  it('registers the infer and models commands', () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['infer', 'models']));
  });

  it('install copies a file in only when its sha256 matches the manifest', async () => {
    const { dir, onnx } = uninstalled();
    const target = path.join(dir, 'test-nm-correct', 'model.onnx');
    const wrong = path.join(REPO_MODELS_DIR, 'test-cxr-findings', 'model.onnx');
    await expect(modelsInstall('test-nm-correct', { from: wrong, models: dir }, io())).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringMatching(/sha256 does not match the manifest; not installed/),
    });
    expect(fs.readdirSync(path.join(dir, 'test-nm-correct'))).toEqual(['manifest.yaml']);
    const o = io();
    expect(await modelsInstall('test-nm-correct', { from: onnx, models: dir }, o)).toBe(0);
    expect(o.text()).toBe('installed test-nm-correct@1.0.0\n');
    expect(fs.readFileSync(target).equals(fs.readFileSync(onnx))).toBe(true);
    await expect(modelsInstall('nope', { from: onnx, models: dir }, io())).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
    });
  });

  it('list and verify report installed, missing and mismatching models', async () => {
    const dir = modelsFixture(['test-cxr-findings', 'test-nm-correct']);
    fs.mkdirSync(path.join(dir, 'brain-gwm'));
    fs.copyFileSync(
      path.join(REPO_MODELS_DIR, 'brain-gwm', 'manifest.yaml'),
      path.join(dir, 'brain-gwm', 'manifest.yaml'),
    );
    const ok = io();
    expect(await modelsVerify({ models: dir }, ok)).toBe(0);
    expect(ok.text()).toBe(
      'skip brain-gwm@1.0.0: not installed\nok   test-cxr-findings@1.0.0\nok   test-nm-correct@1.0.0\n',
    );

    fs.appendFileSync(path.join(dir, 'test-nm-correct', 'model.onnx'), 'x');
    const bad = io();
    expect(await modelsVerify({ models: dir }, bad)).toBe(1);
    expect(bad.text()).toMatch(/FAIL test-nm-correct@1.0.0: model.onnx sha256 does not match the manifest/);

    const listed = io();
    expect(await modelsList({ models: dir, json: true }, listed)).toBe(0);
    const rows = JSON.parse(listed.text()) as Array<{
      id: string;
      installed: boolean;
      sha256Ok: boolean | null;
    }>;
    expect(rows.map((r) => [r.id, r.installed, r.sha256Ok])).toEqual([
      ['brain-gwm', false, null],
      ['test-cxr-findings', true, true],
      ['test-nm-correct', true, false],
    ]);
  });

  it('fetch fails with a clear error when the download fails, and installs what it downloads when it matches', async () => {
    const dir = modelsFixture([]);
    fs.mkdirSync(path.join(dir, 'brain-gwm'));
    fs.copyFileSync(
      path.join(REPO_MODELS_DIR, 'brain-gwm', 'manifest.yaml'),
      path.join(dir, 'brain-gwm', 'manifest.yaml'),
    );
    const offline = {
      ...io(),
      fetch: () =>
        Promise.reject(
          Object.assign(new Error('fetch failed'), {
            cause: new Error('getaddrinfo ENOTFOUND raw.githubusercontent.com'),
          }),
        ),
    };
    await expect(modelsFetch('brain-gwm', { models: dir }, offline)).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message:
        'brain-gwm: cannot download https://raw.githubusercontent.com/niivue/niivue-onnx/main/public/model.onnx: getaddrinfo ENOTFOUND raw.githubusercontent.com',
      details: [
        'without network, copy the file in: pacs-ai-node models install brain-gwm --from <path to model.onnx>',
      ],
    });
    const garbage = { ...io(), fetch: () => Promise.resolve(new Uint8Array([1, 2, 3])) };
    await expect(modelsFetch('brain-gwm', { models: dir }, garbage)).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringMatching(/sha256 does not match/),
    });
    expect(fs.existsSync(path.join(dir, 'brain-gwm', 'model.onnx'))).toBe(false);

    const { dir: nmDir, onnx } = uninstalled();
    fs.writeFileSync(
      path.join(nmDir, 'test-nm-correct', 'manifest.yaml'),
      `${fs.readFileSync(path.join(nmDir, 'test-nm-correct', 'manifest.yaml'), 'utf8')}source:\n  url: https://example.org/model.onnx\n`,
    );
    const online = {
      ...io(),
      fetch: (url: string) =>
        url === 'https://example.org/model.onnx'
          ? Promise.resolve(new Uint8Array(fs.readFileSync(onnx)))
          : Promise.reject(new Error(url)),
    };
    expect(await modelsFetch('test-nm-correct', { models: nmDir }, online)).toBe(0);
    expect(online.text()).toBe('fetched and installed test-nm-correct@1.0.0\n');
  });
});

describe('pacs-ai-node infer', () => {
  it('prints the summary as JSON; a model folder may be given instead of an id', async () => {
    const dir = tempDir('infer-cli-');
    writeImage(dir, {
      rows: 64,
      columns: 64,
      pixels: pixelsOf(64, 64, () => 3276),
      pixelSpacing: [0.2, 0.2],
    });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not DICOM');
    const o = io();
    const code = await runInfer(
      [dir],
      { model: path.join(REPO_MODELS_DIR, 'test-cxr-findings'), json: true },
      o,
    );
    expect(code).toBe(0);
    const s = JSON.parse(o.text()) as InferSummary;
    expect(Object.keys(s)).toEqual([
      'model',
      'version',
      'task',
      'outOfScope',
      'reason',
      'findings',
      'measurements',
      'durationMs',
    ]);
    expect(s).toMatchObject({
      model: 'test-cxr-findings',
      version: '1.0.0',
      task: 'classification',
      outOfScope: false,
      reason: null,
      measurements: [],
    });
    expect(s.findings[0]).toEqual({
      label: 'Cardiomegaly',
      code: { value: '8186001', scheme: 'SCT', meaning: 'Cardiomegaly' },
      probability: expect.closeTo(1 / (1 + Math.exp(-1.8)), 5),
      present: true,
    });
    expect(s.durationMs).toBeGreaterThanOrEqual(0);
  }, 30_000);

  it('exits 2 with the reason when the series is out of scope, and refuses two series at once', async () => {
    const dir = tempDir('infer-cli-');
    const img = writeImage(dir, { rows: 8, columns: 8, pixels: pixelsOf(8, 8, () => 1), modality: 'MR' });
    const o = io();
    expect(await runInfer([img.filePath], { model: 'test-cxr-findings', models: REPO_MODELS_DIR }, o)).toBe(
      2,
    );
    expect(o.text()).toMatch(
      /^test-cxr-findings@1\.0\.0 \(classification\) OUT OF SCOPE: modality MR is not one of CR, DX in \d+ ms\n$/,
    );
    writeImage(dir, { rows: 8, columns: 8, pixels: pixelsOf(8, 8, () => 1) });
    await expect(
      runInfer([dir], { model: 'test-cxr-findings', models: REPO_MODELS_DIR }, io()),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/2 series/) });
  }, 30_000);
});
