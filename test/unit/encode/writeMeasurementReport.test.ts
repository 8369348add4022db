import fs from 'node:fs';
import path from 'node:path';
import { buildMeasurementReport, loadSourceInstances } from '../../../src/encode';
import { items, str, type NaturalDataset } from '../../../src/dicom';
import { NodeError } from '../../../src/pipeline/errors';
import type { InferenceResult } from '../../../src/pipeline/types';
import { tempDir } from '../../helpers/env';
import { baseResult, segmentationResult, testContext, writeSyntheticMrSeries } from './syntheticSeries';

const concept = (item: NaturalDataset): string =>
  str(items(item, 'ConceptNameCodeSequence')[0] ?? {}, 'CodeValue') ?? '';
const children = (item: NaturalDataset): NaturalDataset[] => items(item, 'ContentSequence');
const child = (item: NaturalDataset, code: string): NaturalDataset => {
  const c = children(item).find((x) => concept(x) === code);
  if (!c) throw new Error(`no child ${code}`);
  return c;
};

describe('buildMeasurementReport', () => {
  let dir: string;
  let result: InferenceResult;
  beforeAll(() => {
    dir = tempDir();
    result = segmentationResult(writeSyntheticMrSeries(dir));
    result.findings.push({
      label: 'Tumour',
      code: { value: '108369006', scheme: 'SCT', meaning: 'Neoplasm' },
      probability: 0.8734,
      present: true,
      threshold: 0.5,
      findingSite: { value: '12738006', scheme: 'SCT', meaning: 'Brain' },
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const seg = {
    sopInstanceUid: '1.2.3.4',
    sopClassUid: '1.2.840.10008.5.1.4.1.1.66.4',
    seriesInstanceUid: '1.2.3.5',
    studyInstanceUid: '',
  };

  it('writes a TID 1500 report with device observer, image library, groups and evidence', async () => {
    const sources = await loadSourceInstances(result);
    const ctx = testContext(dir);
    const ds = buildMeasurementReport(result, ctx, sources, {
      ...seg,
      studyInstanceUid: result.studyInstanceUid,
    });
    expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.88.33');
    expect(ds.Modality).toBe('SR');
    expect(ds.SeriesNumber).toBe(900);
    expect([ds.PreliminaryFlag, ds.CompletionFlag, ds.VerificationFlag]).toEqual([
      'PRELIMINARY',
      'COMPLETE',
      'UNVERIFIED',
    ]);
    expect(concept(ds)).toBe('126000');
    expect(items(ds, 'ContentTemplateSequence')[0]).toMatchObject({
      MappingResource: 'DCMR',
      TemplateIdentifier: '1500',
    });
    expect(child(ds, '121012').UID).toBe(ctx.deviceObserverUid);
    expect(str(items(child(ds, '121058'), 'ConceptCodeSequence')[0]!, 'CodeValue')).toBe('25056-3');
    const library = child(child(ds, '111028'), '126200');
    expect(children(library).filter((c) => c.ValueType === 'IMAGE')).toHaveLength(3);

    const groups = children(child(ds, '126010'));
    expect(groups.map((g) => items(g, 'ContentTemplateSequence')[0]?.TemplateIdentifier)).toEqual([
      '1411',
      '1501',
    ]);
    const [volumeGroup, findingGroup] = groups as [NaturalDataset, NaturalDataset];
    const segmentRef = items(child(volumeGroup, '121191'), 'ReferencedSOPSequence')[0]!;
    expect(segmentRef).toMatchObject({ ReferencedSOPInstanceUID: '1.2.3.4', ReferencedSegmentNumber: [1] });
    const volume = child(volumeGroup, '118565006');
    expect(items(volume, 'MeasuredValueSequence')[0]).toMatchObject({ NumericValue: '0.24' });
    expect(children(volume).map(concept)).toEqual(['363698007', '111001', '111003', '111002', '111000']);
    const certainty = child(findingGroup, '111012');
    expect(items(certainty, 'MeasuredValueSequence')[0]).toMatchObject({ NumericValue: '87.34' });
    expect(str(items(child(findingGroup, '108369006'), 'ConceptCodeSequence')[0]!, 'CodeValue')).toBe(
      '52101004',
    );
    for (const g of groups) expect(children(g).slice(0, 2).map(concept)).toEqual(['112039', '112040']);

    const evidence = items(
      items(ds, 'CurrentRequestedProcedureEvidenceSequence')[0]!,
      'ReferencedSeriesSequence',
    );
    const refs = evidence.flatMap((s) =>
      items(s, 'ReferencedSOPSequence').map((r) => r.ReferencedSOPInstanceUID),
    );
    expect(refs.sort()).toEqual([...result.sourceInstances.map((r) => r.sopInstanceUid), '1.2.3.4'].sort());
    expect(ds.PredecessorDocumentsSequence).toBeUndefined();
  });

  it('derives the same UIDs for the same run and new ones for another rules version', async () => {
    const sources = await loadSourceInstances(result);
    const a = buildMeasurementReport(result, testContext(dir), sources);
    const b = buildMeasurementReport(result, testContext(dir), sources);
    const c = buildMeasurementReport(result, testContext(dir, { rulesVersion: 'rules-2' }), sources);
    expect(a.SOPInstanceUID).toBe(b.SOPInstanceUID);
    expect(a.SeriesInstanceUID).toBe(b.SeriesInstanceUID);
    expect(c.SOPInstanceUID).not.toBe(a.SOPInstanceUID);
  });

  it('carries the Predecessor Documents Sequence of a superseded SR, with a new SOP Instance UID', async () => {
    const sources = await loadSourceInstances(result);
    const plain = buildMeasurementReport(result, testContext(dir), sources);
    const predecessorSr = {
      sopInstanceUid: String(plain.SOPInstanceUID),
      seriesInstanceUid: String(plain.SeriesInstanceUID),
      studyInstanceUid: result.studyInstanceUid,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.88.33',
    };
    const ds = buildMeasurementReport(result, testContext(dir, { predecessorSr }), sources);
    expect(ds.SOPInstanceUID).not.toBe(plain.SOPInstanceUID);
    const series = items(items(ds, 'PredecessorDocumentsSequence')[0]!, 'ReferencedSeriesSequence')[0]!;
    expect(items(series, 'ReferencedSOPSequence')[0]!.ReferencedSOPInstanceUID).toBe(plain.SOPInstanceUID);
  });

  it('puts measurements in TID 1501 groups when no SEG is written', async () => {
    const sources = await loadSourceInstances(result);
    const ds = buildMeasurementReport(result, testContext(dir), sources);
    const groups = children(child(ds, '126010'));
    expect(groups.map((g) => items(g, 'ContentTemplateSequence')[0]?.TemplateIdentifier)).toEqual([
      '1501',
      '1501',
    ]);
  });

  it.each<[string, (r: InferenceResult) => void, RegExp]>([
    [
      'a retired SRT code',
      (r) => (r.findings[0]!.code = { value: 'T-28000', scheme: 'SRT', meaning: 'Lung' }),
      /SRT/,
    ],
    ['a probability above 1', (r) => (r.findings[0]!.probability = 1.5), /probability/],
    ['a measurement without unit', (r) => (r.measurements[0]!.unit = { code: '', meaning: '' }), /unit/],
    ['nothing to report', (r) => ((r.findings = []), (r.measurements = [])), /at least one/],
  ])('rejects %s with ENCODE_INVALID', async (_name, mutate, detail) => {
    const sources = await loadSourceInstances(result);
    const bad = structuredClone(result);
    mutate(bad);
    let err: unknown;
    try {
      buildMeasurementReport(bad, testContext(dir), sources);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NodeError);
    expect((err as NodeError).code).toBe('ENCODE_INVALID');
    expect((err as NodeError).details.join('\n')).toMatch(detail);
  });

  it('reports a classification of one image with a generic CID 100 procedure', async () => {
    const refs = writeSyntheticMrSeries(path.join(dir, 'one'), 1);
    const r = baseResult(refs);
    r.findings.push({
      label: 'X',
      code: { value: '1', scheme: 'DCM', meaning: 'x' },
      probability: null,
      present: false,
      threshold: null,
    });
    const sources = await loadSourceInstances(r);
    sources[0]!.modality = 'CR';
    const ds = buildMeasurementReport(r, testContext(dir), sources);
    expect(str(items(child(ds, '121058'), 'ConceptCodeSequence')[0]!, 'CodeValue')).toBe('363679005');
    const group = children(child(ds, '126010'))[0]!;
    expect(children(group).some((c) => concept(c) === '111012')).toBe(false);
  });
});
