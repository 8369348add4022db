import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runInfer, type InferSummary } from '../../src/cli/inferCommand';
import { modelsInstall } from '../../src/cli/modelsCommand';
import { assembleVolume } from '../../src/dicom/volume';
import { systemClock } from '../../src/pipeline/clock';
import type { AuditEventInput } from '../../src/pipeline/audit';
import { BRAIN_SERIES_DIR, SHARED_MODELS_DIR, describeIf, tempDir } from '../helpers/env';
import { REPO_MODELS_DIR } from '../unit/infer/helpers/repoModels';
import { testEngine } from '../unit/infer/helpers/testEngine';
import { writeImage } from '../unit/infer/helpers/writeImage';

/** Reference of ../shared/data/README.md: the model run as its authors run it, on the source volume. */
const REFERENCE_WM_ML = 518.5;
const REFERENCE_GM_ML = 735.2;

function within(value: number, reference: number, fraction: number): void {
  expect(Math.abs(value - reference) / reference).toBeLessThan(fraction);
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * brain-gwm end to end on the real axial T1 series (one run through the CLI), and on the same
 * voxels written as sagittal DICOM slices (one run through the engine): both must land within 1%
 * of the reference volumes. Two model runs of ~10 s each.
 */
describeIf({ shared: true })('brain-gwm on mr-brain-t1-axial', () => {
  let modelsDir: string;
  let axial: InferSummary;

  beforeAll(async () => {
    modelsDir = tempDir('brain-gwm-models-');
    fs.mkdirSync(path.join(modelsDir, 'brain-gwm'));
    fs.copyFileSync(
      path.join(REPO_MODELS_DIR, 'brain-gwm', 'manifest.yaml'),
      path.join(modelsDir, 'brain-gwm', 'manifest.yaml'),
    );
    const out = sink();
    const code = await modelsInstall(
      'brain-gwm',
      { from: path.join(SHARED_MODELS_DIR, 'niivue-brain-gwm', 'model.onnx'), models: modelsDir },
      { out: out.stream, err: out.stream },
    );
    expect(code).toBe(0);
  });

  it('gives white and grey matter volumes within 1% of the reference (pacs-ai-node infer --json)', async () => {
    const out = sink();
    const code = await runInfer(
      [BRAIN_SERIES_DIR],
      { model: 'brain-gwm', models: modelsDir, json: true },
      { out: out.stream },
    );
    expect(code).toBe(0);
    axial = JSON.parse(out.text()) as InferSummary;
    expect(axial).toMatchObject({
      model: 'brain-gwm',
      version: '1.0.0',
      task: 'segmentation',
      outOfScope: false,
      reason: null,
    });
    const [wm, gm] = axial.measurements;
    expect(wm).toMatchObject({ name: 'White matter volume', unit: 'mL' });
    expect(gm).toMatchObject({ name: 'Grey matter volume', unit: 'mL' });
    within(wm.value, REFERENCE_WM_ML, 0.01);
    within(gm.value, REFERENCE_GM_ML, 0.01);
    expect(axial.findings.map((f) => [f.label, f.code.value, f.present])).toEqual([
      ['White matter', '68523003', true],
      ['Grey matter', '40146001', true],
    ]);
  }, 180_000);

  it('gives the same volumes when the series is written as sagittal slices, and maps the labels back onto them', async () => {
    // The axial voxels, re-sliced along i: each sagittal image has columns along j (posterior)
    // and rows along -k (superior at the top), positions and orientation from the volume grid.
    const files = fs
      .readdirSync(BRAIN_SERIES_DIR)
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => path.join(BRAIN_SERIES_DIR, f));
    const { volume } = await assembleVolume(files);
    const [ni, nj, nk] = volume.dims;
    const [d0, d1, d2] = volume.direction;
    const dir = tempDir('brain-sagittal-');
    const studyInstanceUid = '2.25.1001';
    const seriesInstanceUid = '2.25.1002';
    const instances = [];
    let notStorable = 0;
    for (let i = 0; i < ni; i++) {
      const pixels = new Uint16Array(nk * nj);
      for (let r = 0; r < nk; r++) {
        const k = nk - 1 - r;
        for (let j = 0; j < nj; j++) {
          const v = volume.data[i + ni * (j + nj * k)];
          if (!(Number.isInteger(v) && v >= 0 && v <= 65535)) notStorable++;
          pixels[r * nj + j] = v;
        }
      }
      const position = [0, 1, 2].map(
        (x) => volume.origin[x] + i * volume.spacing[0] * d0[x] + (nk - 1) * volume.spacing[2] * d2[x],
      ) as [number, number, number];
      instances.push(
        writeImage(dir, {
          rows: nk,
          columns: nj,
          pixels,
          modality: 'MR',
          bodyPart: 'HEAD',
          pixelSpacing: [volume.spacing[2], volume.spacing[1]],
          position,
          orientation: [d1[0], d1[1], d1[2], -d2[0], -d2[1], -d2[2]],
          studyInstanceUid,
          seriesInstanceUid,
          instanceNumber: i + 1,
        }),
      );
    }
    expect(notStorable).toBe(0);
    const audit: AuditEventInput[] = [];
    const engine = testEngine(modelsDir, {
      clock: systemClock,
      audit: { record: (e) => audit.push(e) },
      timeoutMs: 300_000,
    });
    try {
      const r = await engine.run('brain-gwm', {
        studyInstanceUid,
        seriesInstanceUid,
        instances: [...instances].reverse(),
      });
      expect(r.outOfScope).toBe(false);
      const [wm, gm] = r.measurements;
      within(wm.value, REFERENCE_WM_ML, 0.01);
      within(gm.value, REFERENCE_GM_ML, 0.01);
      // Same voxels in patient space: the conformed input is the same, so the volumes agree closely.
      within(wm.value, axial.measurements[0].value, 0.005);
      within(gm.value, axial.measurements[1].value, 0.005);
      expect(wm.segmentNumber).toBe(1);
      expect(gm.segmentNumber).toBe(2);
      expect(r.results).toEqual(['SEG', 'SR', 'SC']);

      // Label volume: one frame per sagittal slice, in slice order along the normal, on the source grid.
      const lv = r.labelVolume!;
      expect([lv.rows, lv.columns]).toEqual([nk, nj]);
      expect(lv.frames).toHaveLength(ni);
      expect(new Set(lv.frames.map((f) => f.sopInstanceUid))).toEqual(
        new Set(instances.map((x) => x.sopInstanceUid)),
      );
      expect(lv.segments.map((s) => [s.segmentNumber, s.label, s.type.value])).toEqual([
        [1, 'White matter', '68523003'],
        [2, 'Grey matter', '40146001'],
      ]);
      // The source grid is 1 mm too: voxel counts on it match the conformed-grid volumes.
      let w = 0;
      let g = 0;
      for (const v of lv.data) {
        if (v === 1) w++;
        else if (v === 2) g++;
      }
      within(w / 1000, wm.value, 0.01);
      within(g / 1000, gm.value, 0.01);
    } finally {
      await engine.close();
    }
  }, 240_000);
});
