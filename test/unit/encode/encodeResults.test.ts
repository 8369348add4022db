import fs from 'node:fs';
import path from 'node:path';
import { encodeResults, type ResultWriter } from '../../../src/encode';
import { dcmjs, items, readDicomHeader, type NaturalDataset } from '../../../src/dicom';
import { NodeError } from '../../../src/pipeline/errors';
import type { InferenceResult, SeriesInstanceRef } from '../../../src/pipeline/types';
import { tempDir } from '../../helpers/env';
import { baseResult, segmentationResult, testContext, writeSyntheticMrSeries } from './syntheticSeries';

async function header(file: string): Promise<NaturalDataset> {
  return (await readDicomHeader(file)).dataset;
}

function pixelBytes(file: string): number {
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
    dcmjs.data.DicomMessage.readFile(ab).dict,
  ) as NaturalDataset;
  return (ds.PixelData as ArrayBuffer[])[0]!.byteLength;
}

describe('encodeResults', () => {
  let dir: string;
  let refs: SeriesInstanceRef[];
  beforeAll(() => {
    dir = tempDir();
    refs = writeSyntheticMrSeries(path.join(dir, 'src'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes SEG, then an SR that refers to it, then a multi-frame SC; a re-run replaces the same files', async () => {
    const out = path.join(dir, 'out1');
    const result = segmentationResult(refs);
    const objects = await encodeResults(result, testContext(out));
    expect(objects.map((o) => o.kind)).toEqual(['SEG', 'SR', 'SC']);
    for (const o of objects) {
      expect(path.basename(o.filePath)).toBe(`${o.sopInstanceUid}.dcm`);
      expect(o.studyInstanceUid).toBe(result.studyInstanceUid);
      expect(o.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    }
    expect(new Set(objects.map((o) => o.seriesInstanceUid)).size).toBe(3);
    const [seg, sr, sc] = objects as [(typeof objects)[0], (typeof objects)[0], (typeof objects)[0]];
    const srDs = await header(sr.filePath);
    const evidence = items(
      items(srDs, 'CurrentRequestedProcedureEvidenceSequence')[0]!,
      'ReferencedSeriesSequence',
    );
    expect(evidence.map((s) => s.SeriesInstanceUID)).toContain(seg.seriesInstanceUid);
    const scDs = await header(sc.filePath);
    expect(sc.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.7.4');
    expect(Number(scDs.NumberOfFrames)).toBe(3);
    expect(scDs).toMatchObject({
      BurnedInAnnotation: 'YES',
      ConversionType: 'WSD',
      PhotometricInterpretation: 'RGB',
    });
    expect(scDs.ImageType).toEqual(['DERIVED', 'SECONDARY']);
    expect(scDs.PatientOrientation).toEqual(['L', 'P']);
    expect(pixelBytes(sc.filePath)).toBe(32 * 24 * 3 * 3);

    const again = await encodeResults(result, testContext(out));
    expect(again.map((o) => o.sopInstanceUid)).toEqual(objects.map((o) => o.sopInstanceUid));
    expect(fs.readdirSync(out)).toHaveLength(3);
  });

  it('renders only the key slices with most mask when scKeySlices is set', async () => {
    const result = segmentationResult(refs);
    result.results = ['SC'];
    result.measurements = [];
    const objects = await encodeResults(result, testContext(path.join(dir, 'out2'), { scKeySlices: 1 }));
    expect(objects.map((o) => o.kind)).toEqual(['SC']);
    expect(objects[0]!.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.7');
    const ds = await header(objects[0]!.filePath);
    expect(items(ds, 'SourceImageSequence')[0]!.ReferencedSOPInstanceUID).toBe(refs[1]!.sopInstanceUid);
  });

  it('writes a derived MR series with the source geometry and new UIDs', async () => {
    const result: InferenceResult = { ...baseResult(refs), task: 'image-to-image', results: ['DERIVED'] };
    result.derivedFrames = refs.map((r) => ({
      sopInstanceUid: r.sopInstanceUid,
      frameNumber: 1,
      rows: 32,
      columns: 24,
      data: new Int16Array(32 * 24).map((_, i) => i - 50),
      rescaleSlope: 1,
      rescaleIntercept: 0,
    }));
    const objects = await encodeResults(result, testContext(path.join(dir, 'out3')));
    expect(objects).toHaveLength(3);
    const ds = await header(objects[1]!.filePath);
    const src = await header(refs[1]!.filePath);
    expect(ds.SOPClassUID).toBe(src.SOPClassUID);
    expect(ds.SOPInstanceUID).not.toBe(src.SOPInstanceUID);
    expect(ds.SeriesInstanceUID).not.toBe(src.SeriesInstanceUID);
    expect(ds.ImagePositionPatient).toEqual(src.ImagePositionPatient);
    expect(ds.ImageType).toEqual(['DERIVED', 'SECONDARY', 'M', 'ND']);
    expect([ds.PixelRepresentation, ds.SeriesNumber]).toEqual([1, 903]);
    expect(ds.Manufacturer).toBe('pacs-ai-node project');
  });

  it('writes nothing for an out-of-scope result', async () => {
    const out = path.join(dir, 'out4');
    const result = { ...segmentationResult(refs), outOfScope: true, reason: 'not a brain' };
    expect(await encodeResults(result, testContext(out))).toEqual([]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('rejects an invalid context before writing anything', async () => {
    const out = path.join(dir, 'out5');
    const ctx = testContext(out, { deviceObserverUid: 'not-a-uid', seriesNumberBase: -1 });
    await expect(encodeResults(segmentationResult(refs), ctx)).rejects.toMatchObject({
      code: 'ENCODE_INVALID',
      details: ['deviceObserverUid: not a valid UID', 'seriesNumberBase: a positive integer'],
    });
    expect(fs.existsSync(out)).toBe(false);
  });

  it('runs the writers registered, in their order, and refuses two writers for one kind', async () => {
    const calls: string[] = [];
    const fake = (kind: 'SR' | 'SEG'): ResultWriter => ({
      kind,
      applies: () => true,
      build: async ({ built }) => {
        calls.push(`${kind} after ${built.length}`);
        return [
          {
            kind,
            dataset: {
              SOPClassUID: '1.2.3',
              SOPInstanceUID: `1.2.3.${built.length}`,
              StudyInstanceUID: '1.2',
            },
          },
        ];
      },
    });
    await encodeResults(segmentationResult(refs), testContext(path.join(dir, 'out6')), {
      writers: [fake('SR'), fake('SEG')],
    });
    expect(calls).toEqual(['SR after 0', 'SEG after 1']);
    await expect(
      encodeResults(segmentationResult(refs), testContext(path.join(dir, 'out6')), {
        writers: [fake('SR'), fake('SR')],
      }),
    ).rejects.toBeInstanceOf(NodeError);
  });

  it('writes nothing when any writer rejects its input, even if earlier ones were valid', async () => {
    const out = path.join(dir, 'out8');
    const result = segmentationResult(refs);
    result.measurements[0]!.unit = { code: '', meaning: '' }; // SEG is fine, the SR is not
    await expect(encodeResults(result, testContext(out))).rejects.toMatchObject({ code: 'ENCODE_INVALID' });
    expect(fs.existsSync(out)).toBe(false);
  });

  it('uses the injected underlay reader for renderings', async () => {
    const result = { ...baseResult(refs), results: ['SC' as const] };
    result.findings = [
      {
        label: 'Thing',
        code: { value: '1', scheme: 'DCM', meaning: 'x' },
        probability: 0.5,
        present: true,
        threshold: 0.4,
      },
    ];
    const seen: string[] = [];
    const objects = await encodeResults(result, testContext(path.join(dir, 'out7')), {
      readUnderlay: async (file, frame) => {
        seen.push(`${path.basename(file)}#${frame}`);
        return { rows: 32, columns: 24, rgb: new Uint8Array(32 * 24 * 3) };
      },
    });
    expect(objects.map((o) => o.kind)).toEqual(['SR', 'SC']);
    expect(seen).toEqual(['slice1.dcm#0']);
  });
});
