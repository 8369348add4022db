import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { modelBytes, nmCorrectGraph, writeModel } from '../../scripts/buildTestModels';
import { decodeFile, applyModalityLut } from '../../src/dicom/pixels';
import { readDicomHeader, str } from '../../src/dicom';
import type { InferenceEngine } from '../../src/infer';
import { DICOM_DIR, describeIf, tempDir } from '../helpers/env';
import { REPO_MODELS_DIR } from '../unit/infer/helpers/repoModels';
import { testEngine } from '../unit/infer/helpers/testEngine';

/**
 * The infer stage on real files of ../shared/data: the NM planar image of pydicom's test data
 * (1024 x 256, signed 16-bit) stored uncompressed and as JPEG 2000, through an image-to-image
 * graph of that size (output = 2 x modality value + 10). The result must be exact on the source
 * grid and identical for both transfer syntaxes.
 */
describeIf({ shared: true })('inference on real DICOM files', () => {
  const files = ['pydicom-data/JPEG2000_UNC.dcm', 'pydicom_deb/test_files/JPEG2000.dcm'].map((f) =>
    path.join(DICOM_DIR, f),
  );
  let engine: InferenceEngine;

  beforeAll(() => {
    const modelsDir = tempDir('infer-real-');
    const m = YAML.parse(
      fs.readFileSync(path.join(REPO_MODELS_DIR, 'test-nm-correct', 'manifest.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    m.id = 'test-nm-correct-1024x256';
    (m.input as { tensor: { shape: number[] } }).tensor.shape = [1, 1, 1024, 256];
    delete m.sha256;
    delete m.file;
    writeModel(modelsDir, m, modelBytes(nmCorrectGraph(1024, 256)));
    engine = testEngine(modelsDir);
  });
  afterAll(() => engine.close());

  it('gives 2 x modality value + 10 exactly, the same for native and JPEG 2000 pixel data', async () => {
    const outputs: number[][] = [];
    for (const file of files) {
      const h = await readDicomHeader(file);
      const instance = {
        sopInstanceUid: str(h.dataset, 'SOPInstanceUID')!,
        sopClassUid: h.mediaStorageSopClassUid,
        transferSyntaxUid: h.transferSyntaxUid,
        instanceNumber: 1,
        filePath: file,
      };
      const r = await engine.run('test-nm-correct-1024x256', {
        studyInstanceUid: str(h.dataset, 'StudyInstanceUID')!,
        seriesInstanceUid: str(h.dataset, 'SeriesInstanceUID')!,
        instances: [instance],
      });
      expect(r).toMatchObject({ outOfScope: false, task: 'image-to-image', results: ['DERIVED'] });
      const f = r.derivedFrames![0];
      expect(f).toMatchObject({
        sopInstanceUid: instance.sopInstanceUid,
        frameNumber: 1,
        rows: 1024,
        columns: 256,
        rescaleSlope: 1,
        rescaleIntercept: 0,
      });
      const img = await decodeFile(file);
      const modality = applyModalityLut(img.frames[0], img.header);
      const expected = Array.from(modality, (v) => 2 * v + 10);
      const got = Array.from(f.data);
      expect(got.length).toBe(expected.length);
      let mismatches = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) mismatches++;
      expect(mismatches).toBe(0);
      outputs.push(got);
    }
    expect(outputs[0]).toEqual(outputs[1]);
  }, 60_000);
});
