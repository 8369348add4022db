import { detectionGraph, modelBytes, writeModel } from '../../../scripts/buildTestModels';
import type { InferenceEngine } from '../../../src/infer';
import { tempDir } from '../../helpers/env';
import { testEngine } from './helpers/testEngine';
import { pixelsOf, writeImage } from './helpers/writeImage';

describe('detection task', () => {
  let engine: InferenceEngine;

  beforeAll(() => {
    const modelsDir = tempDir('infer-detect-');
    writeModel(
      modelsDir,
      {
        id: 'test-detection',
        version: '1.0.0',
        name: 'Test detection',
        intendedUse: 'TEST ONLY',
        contract: { modalities: ['CR'] },
        task: 'detection',
        input: { kind: 'image', tensor: { name: 'image', shape: [1, 1, 8, 8] } },
        preprocessing: [{ step: 'normalize', method: 'fixed-range', range: [0, 100] }],
        output: { tensor: 'boxes' },
        labels: [
          {
            index: 0,
            name: 'Nodule',
            code: { value: '27925004', scheme: 'SCT', meaning: 'Nodule' },
            threshold: 0.5,
          },
          {
            index: 1,
            name: 'Mass',
            code: { value: '4147007', scheme: 'SCT', meaning: 'Mass' },
            threshold: 0.5,
          },
        ],
        results: ['SR'],
      },
      modelBytes(detectionGraph()),
    );
    engine = testEngine(modelsDir);
  });
  afterAll(() => engine.close());

  it('scores each label by its best box and counts the boxes over the threshold', async () => {
    const img = writeImage(tempDir(), { rows: 8, columns: 8, pixels: pixelsOf(8, 8, () => 70) });
    const r = await engine.run('test-detection', {
      studyInstanceUid: img.studyInstanceUid,
      seriesInstanceUid: img.seriesInstanceUid,
      instances: [img],
    });
    expect(r.findings.map((f) => [f.label, f.present])).toEqual([
      ['Nodule', true],
      ['Mass', false],
    ]);
    expect(r.findings[0].probability).toBeCloseTo(0.7, 6);
    expect(r.findings[1].probability).toBeCloseTo(0.2, 6);
    expect(r.algorithmParameters).toMatchObject({ 'detections.Nodule': '1', 'detections.Mass': '0' });
    const low = await engine.run(
      'test-detection',
      { studyInstanceUid: img.studyInstanceUid, seriesInstanceUid: img.seriesInstanceUid, instances: [img] },
      { threshold: 0.1 },
    );
    expect(low.algorithmParameters).toMatchObject({ 'detections.Nodule': '1', 'detections.Mass': '1' });
  });
});
