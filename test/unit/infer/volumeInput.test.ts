import { modelBytes, volumeThresholdGraph, writeModel } from '../../../scripts/buildTestModels';
import type { InferenceEngine } from '../../../src/infer';
import type { SeriesInstanceRef } from '../../../src/pipeline/types';
import { tempDir } from '../../helpers/env';
import { testEngine } from './helpers/testEngine';
import { pixelsOf, writeImage } from './helpers/writeImage';

/**
 * The volume input path on a synthetic series: 10 axial slices of 12 x 12 at 1 mm, 2 mm apart,
 * a bright box on slices 2..5 (rows 3..8, columns 2..9). The model grid is 12 x 12 x 19 at 1 mm
 * (LPS, centred on the series), so trilinear resampling puts 0.5 half-way between a bright and a
 * dark slice, which the graph (foreground where > 0.5) leaves out: 7 slices x 48 voxels.
 */
describe('volume input: assemble, resample to the grid, segment, map back', () => {
  let engine: InferenceEngine;

  beforeAll(() => {
    const modelsDir = tempDir('infer-volume-models-');
    writeModel(
      modelsDir,
      {
        id: 'test-volume',
        version: '1.0.0',
        name: 'Test volume threshold',
        intendedUse: 'TEST ONLY',
        contract: { modalities: ['MR'], minSlices: 4, spacingMm: [0.5, 3] },
        task: 'segmentation',
        input: {
          kind: 'volume',
          tensor: { name: 'image', shape: [1, 1, 19, 12, 12] },
          axes: 'NCDHW',
          grid: { dims: [12, 12, 19], spacingMm: 1, orientation: 'LPS' },
        },
        preprocessing: [{ step: 'resample' }, { step: 'normalize', method: 'fixed-range', range: [0, 1000] }],
        output: { tensor: 'logits' },
        postprocessing: [{ step: 'argmax' }],
        labels: [{ index: 1, name: 'Box', code: { value: 'box', scheme: '99PACSAI', meaning: 'Box' } }],
        measurements: [
          { name: 'Box volume', label: 'Box', kind: 'volume' },
          { name: 'Box voxels', label: 'Box', kind: 'voxel-count' },
        ],
        results: ['SEG'],
      },
      modelBytes(volumeThresholdGraph(19, 12, 12)),
    );
    engine = testEngine(modelsDir);
  });
  afterAll(() => engine.close());

  const inBox = (k: number, r: number, c: number): boolean =>
    k >= 2 && k <= 5 && r >= 3 && r <= 8 && c >= 2 && c <= 9;

  function writeSeries(
    orientationOf: (k: number) => [number, number, number, number, number, number] = () => [1, 0, 0, 0, 1, 0],
  ) {
    const dir = tempDir('infer-volume-');
    const seriesInstanceUid = '2.25.77';
    const instances: Array<SeriesInstanceRef & { k: number }> = [];
    for (let k = 0; k < 10; k++) {
      const img = writeImage(dir, {
        rows: 12,
        columns: 12,
        modality: 'MR',
        bodyPart: 'HEAD',
        pixels: pixelsOf(12, 12, (r, c) => (inBox(k, r, c) ? 1000 : 0)),
        position: [-5.5, -5.5, 2 * k],
        orientation: orientationOf(k),
        seriesInstanceUid,
        studyInstanceUid: '2.25.76',
        instanceNumber: 10 - k,
      });
      instances.push({ ...img, k });
    }
    return { studyInstanceUid: '2.25.76', seriesInstanceUid, instances };
  }

  it('measures on the model grid and maps the labels back onto the source slices exactly', async () => {
    const s = writeSeries();
    // Shuffled on purpose: order comes from geometry, not from the list or Instance Number.
    const shuffled = [...s.instances].sort((a, b) => ((a.k * 7) % 10) - ((b.k * 7) % 10));
    const r = await engine.run('test-volume', { ...s, instances: shuffled });
    expect(r.outOfScope).toBe(false);
    expect(r.measurements.map((m) => [m.name, m.value, m.unit.code])).toEqual([
      ['Box volume', 0.336, 'mL'],
      ['Box voxels', 336, '{voxels}'],
    ]);
    const lv = r.labelVolume!;
    expect([lv.rows, lv.columns, lv.frames.length]).toEqual([12, 12, 10]);
    // Frames run along the slice normal (k = 0..9).
    expect(lv.frames.map((f) => f.sopInstanceUid)).toEqual(s.instances.map((i) => i.sopInstanceUid));
    let wrong = 0;
    for (let k = 0; k < 10; k++)
      for (let r0 = 0; r0 < 12; r0++)
        for (let c = 0; c < 12; c++)
          if (lv.data[k * 144 + r0 * 12 + c] !== (inBox(k, r0, c) ? 1 : 0)) wrong++;
    expect(wrong).toBe(0);
  });

  it('is out of scope when the slices do not share one orientation', async () => {
    const s = writeSeries((k) => (k === 5 ? [1, 0, 0, 0, 0, -1] : [1, 0, 0, 0, 1, 0]));
    const r = await engine.run('test-volume', s);
    expect(r.outOfScope).toBe(true);
    expect(r.reason).toMatch(/mixed orientation/);
  });
});
