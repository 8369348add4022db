import { SopClass, type NaturalDataset } from '../dicom';
import { NodeError } from '../pipeline/errors';
import type {
  EncodedObject,
  Finding,
  InferenceResult,
  Measurement,
  SegmentDescription,
} from '../pipeline/types';
import { algorithmIdentification } from './algorithmIdentification';
import { Codes, modalityCode, PERCENT, procedureReportedFor } from './codes';
import {
  equipmentAttributes,
  patientStudyAttributes,
  seriesDescription,
  seriesNumber,
  timestampAttributes,
} from './commonAttributes';
import { clip } from './dicomValues';
import type { EncodeContext } from './encodeContext';
import type { BuiltObject, WriterInput } from './resultWriter';
import { resultInstanceUid, resultSeriesUid, resultUid, segmentTrackingUid } from './resultUids';
import type { SourceInstance } from './sourceInstances';
import {
  codeItem,
  containerItem,
  imageItem,
  numItem,
  templateIdentification,
  textItem,
  uidrefItem,
  type ContentItem,
  type ImageReference,
} from './srContentItems';
import { writeBuiltObjects } from './writeBuiltObjects';

/** The SEG an SR refers to (TID 1411 row 7 Referenced Segment). */
export interface SegmentationReference {
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
}

/**
 * Writes the Comprehensive SR TID 1500 Imaging Measurement Report of a result
 * (RESULTS.md 2.4/2.5): device observer, procedure reported (CID 100), image library, one TID 1501
 * group per finding, one TID 1411 group per SEG segment with measurements, one TID 1501 group per
 * other measurement; evidence lists every referenced instance. The SEG, when one was prepared in
 * this run, is taken from `input.built`.
 */
export async function writeMeasurementReport(input: WriterInput): Promise<EncodedObject[]> {
  return writeBuiltObjects(await prepareMeasurementReport(input), input.result, input.ctx);
}

/** The SR of a run, built and validated, not yet written; refers to the SEG prepared before it. */
export async function prepareMeasurementReport(input: WriterInput): Promise<BuiltObject[]> {
  const seg = input.built.find((o) => o.kind === 'SEG')?.dataset;
  const reference: SegmentationReference | undefined = seg && {
    sopInstanceUid: String(seg.SOPInstanceUID),
    sopClassUid: String(seg.SOPClassUID),
    seriesInstanceUid: String(seg.SeriesInstanceUID),
    studyInstanceUid: String(seg.StudyInstanceUID),
  };
  return [{ kind: 'SR', dataset: buildMeasurementReport(input.result, input.ctx, input.sources, reference) }];
}

/** The SR dataset (naturalized) — pure, for tests. */
export function buildMeasurementReport(
  result: InferenceResult,
  ctx: EncodeContext,
  sources: readonly SourceInstance[],
  segmentation?: SegmentationReference,
): NaturalDataset {
  validateReportInput(result, segmentation);
  const first = sources[0];
  if (!first) throw new NodeError('ENCODE_INVALID', 'SR needs at least one source instance');
  const predecessor = ctx.predecessorSr;
  const sopInstanceUid = resultInstanceUid(
    result,
    ctx,
    'SR',
    0,
    ...(predecessor ? [predecessor.sopInstanceUid] : []),
  );
  if (predecessor && predecessor.sopInstanceUid === sopInstanceUid) {
    throw new NodeError('ENCODE_INVALID', 'predecessor SR has the SOP Instance UID of the new SR');
  }
  const images = sources.map(imageReference);

  const volumeGroups = segmentGroups(result, ctx, segmentation);
  const measurementGroups: ContentItem[] = [
    ...volumeGroups,
    ...result.findings.map((f, i) => findingGroup(result, ctx, f, i, images)),
    ...result.measurements
      .map((m, i) => ({ m, i }))
      .filter(({ m }) => m.segmentNumber === undefined || !segmentation)
      .map(({ m, i }) => measurementGroup(result, ctx, m, i, images)),
  ];

  const root: ContentItem[] = [
    // PS3.16 TID 1204 Language of Content Item and Descendants
    codeItem('HAS CONCEPT MOD', Codes.languageOfContent, Codes.englishUs),
    // PS3.16 TID 1002/1004 Observer Context: a device, stable per installation
    codeItem('HAS OBS CONTEXT', Codes.observerType, Codes.device),
    uidrefItem('HAS OBS CONTEXT', Codes.deviceObserverUid, ctx.deviceObserverUid),
    textItem('HAS OBS CONTEXT', Codes.deviceObserverName, ctx.deviceObserverName),
    textItem('HAS OBS CONTEXT', Codes.deviceObserverManufacturer, ctx.manufacturer),
    textItem('HAS OBS CONTEXT', Codes.deviceObserverModelName, `${result.modelName} ${result.modelVersion}`),
    // PS3.16 TID 1500 row 4, CID 100
    codeItem('HAS CONCEPT MOD', Codes.procedureReported, procedureReportedFor(first.modality)),
    imageLibrary(sources, images),
    containerItem('CONTAINS', Codes.imagingMeasurements, measurementGroups),
  ];

  const evidence: Array<{ seriesInstanceUid: string; sopClassUid: string; sopInstanceUid: string }> =
    sources.map((s) => ({
      seriesInstanceUid: seriesOf(s) || result.seriesInstanceUid,
      sopClassUid: s.ref.sopClassUid,
      sopInstanceUid: s.ref.sopInstanceUid,
    }));
  if (segmentation && volumeGroups.length > 0) {
    evidence.push({
      seriesInstanceUid: segmentation.seriesInstanceUid,
      sopClassUid: segmentation.sopClassUid,
      sopInstanceUid: segmentation.sopInstanceUid,
    });
  }

  const ds: NaturalDataset = {
    ...patientStudyAttributes(first),
    SOPClassUID: SopClass.ComprehensiveSR,
    SOPInstanceUID: sopInstanceUid,
    ...timestampAttributes(ctx),
    // PS3.3 C.17.1 SR Document Series Module
    Modality: 'SR',
    SeriesInstanceUID: resultSeriesUid(result, ctx, 'SR'),
    SeriesNumber: seriesNumber(ctx, 'SR'),
    SeriesDescription: seriesDescription(result, 'SR'),
    ReferencedPerformedProcedureStepSequence: [],
    // PS3.3 C.7.5.1 General Equipment
    ...equipmentAttributes(result, ctx),
    // PS3.3 C.17.2 SR Document General Module
    InstanceNumber: 1,
    PreliminaryFlag: 'PRELIMINARY',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: hierarchicalReferences(result.studyInstanceUid, evidence),
    // PS3.3 C.17.3 SR Document Content Module (root CONTAINER, TID 1500)
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [
      {
        CodeValue: Codes.imagingMeasurementReport.value,
        CodingSchemeDesignator: 'DCM',
        CodeMeaning: Codes.imagingMeasurementReport.meaning,
      },
    ],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: templateIdentification('1500'),
    ContentSequence: root,
  };
  if (predecessor) {
    ds.PredecessorDocumentsSequence = hierarchicalReferences(predecessor.studyInstanceUid, [predecessor]);
  }
  return ds;
}

function seriesOf(s: SourceInstance): string {
  return String(s.dataset.SeriesInstanceUID ?? '');
}

/** An IMAGE reference to a whole source instance (all its frames, PS3.3 C.18.4). */
function imageReference(s: SourceInstance): ImageReference {
  return { sopClassUid: s.ref.sopClassUid, sopInstanceUid: s.ref.sopInstanceUid };
}

/** PS3.16 TID 1600 Image Library: one group per modality, with the Modality descriptor (TID 1602). */
function imageLibrary(sources: readonly SourceInstance[], images: ImageReference[]): ContentItem {
  const modalities = [...new Set(sources.map((s) => s.modality))];
  const groups = modalities.map((modality) => {
    const code = modalityCode(modality);
    const children: ContentItem[] = code ? [codeItem('HAS ACQ CONTEXT', Codes.modality, code)] : [];
    sources.forEach((s, i) => {
      if (s.modality === modality) children.push(imageItem('CONTAINS', null, images[i]!));
    });
    return containerItem('CONTAINS', Codes.imageLibraryGroup, children);
  });
  return containerItem('CONTAINS', Codes.imageLibrary, groups);
}

/** PS3.16 TID 4108 tracking: identifier and UID, first items of every group (OHIF keys groups on the UID). */
function tracking(identifier: string, uid: string): ContentItem[] {
  return [
    textItem('HAS OBS CONTEXT', Codes.trackingIdentifier, clip(identifier, 64)),
    uidrefItem('HAS OBS CONTEXT', Codes.trackingUniqueIdentifier, uid),
  ];
}

/** PS3.16 TID 1501 group of a classification finding (RESULTS.md 2.4). */
function findingGroup(
  result: InferenceResult,
  ctx: EncodeContext,
  finding: Finding,
  index: number,
  images: ImageReference[],
): ContentItem {
  const children: ContentItem[] = [
    ...tracking(finding.label, resultUid(result, ctx, 'tracking', 'finding', String(index))),
    codeItem('CONTAINS', Codes.finding, finding.code),
    ...algorithmIdentification(result),
  ];
  if (finding.findingSite) children.push(codeItem('HAS CONCEPT MOD', Codes.findingSite, finding.findingSite));
  for (const img of images) children.push(imageItem('CONTAINS', Codes.sourceOfMeasurement, img));
  if (finding.probability !== null) {
    // RESULTS.md 2.3 option A: Certainty of Finding in %
    children.push(
      numItem('CONTAINS', Codes.certaintyOfFinding, roundTo(finding.probability * 100, 2), PERCENT),
    );
  }
  children.push(codeItem('CONTAINS', finding.code, finding.present ? Codes.present : Codes.absent));
  return containerItem('CONTAINS', Codes.measurementGroup, children, '1501');
}

/** PS3.16 TID 1411 group per SEG segment that has measurements (RESULTS.md 2.5). */
function segmentGroups(
  result: InferenceResult,
  ctx: EncodeContext,
  seg: SegmentationReference | undefined,
): ContentItem[] {
  if (!seg || !result.labelVolume) return [];
  const out: ContentItem[] = [];
  for (const segment of result.labelVolume.segments) {
    const ms = result.measurements.filter((m) => m.segmentNumber === segment.segmentNumber);
    if (ms.length === 0) continue;
    out.push(segmentGroup(result, ctx, seg, segment, ms));
  }
  return out;
}

function segmentGroup(
  result: InferenceResult,
  ctx: EncodeContext,
  seg: SegmentationReference,
  segment: SegmentDescription,
  measurements: Measurement[],
): ContentItem {
  const children: ContentItem[] = [
    ...tracking(segment.label, segmentTrackingUid(result, ctx, segment.segmentNumber)),
    codeItem('CONTAINS', Codes.finding, segment.type),
    imageItem('CONTAINS', Codes.referencedSegment, {
      sopClassUid: seg.sopClassUid,
      sopInstanceUid: seg.sopInstanceUid,
      segmentNumber: segment.segmentNumber,
    }),
    uidrefItem('CONTAINS', Codes.sourceSeriesForSegmentation, result.seriesInstanceUid),
  ];
  for (const m of measurements) {
    // TID 1419: TID 4019 under each NUM (PixelMed-clean placement, RESULTS.md 2.1)
    const numChildren: ContentItem[] = [];
    if (m.findingSite) numChildren.push(codeItem('HAS CONCEPT MOD', Codes.findingSite, m.findingSite));
    numChildren.push(...algorithmIdentification(result));
    children.push(numItem('CONTAINS', m.code, m.value, m.unit, numChildren));
  }
  return containerItem('CONTAINS', Codes.measurementGroup, children, '1411');
}

/** PS3.16 TID 1501 group of an image-level measurement (no SEG segment to refer to). */
function measurementGroup(
  result: InferenceResult,
  ctx: EncodeContext,
  m: Measurement,
  index: number,
  images: ImageReference[],
): ContentItem {
  const children: ContentItem[] = [
    ...tracking(m.name, resultUid(result, ctx, 'tracking', 'measurement', String(index))),
    ...algorithmIdentification(result),
  ];
  if (m.findingSite) children.push(codeItem('HAS CONCEPT MOD', Codes.findingSite, m.findingSite));
  for (const img of images) children.push(imageItem('CONTAINS', Codes.sourceOfMeasurement, img));
  children.push(numItem('CONTAINS', m.code, m.value, m.unit));
  return containerItem('CONTAINS', Codes.measurementGroup, children, '1501');
}

/**
 * PS3.3 C.17.2.3 Hierarchical SOP Instance Reference Macro: study → series → instances, one
 * entry per instance (duplicates removed; Orthanc Stone rejects them).
 */
export function hierarchicalReferences(
  studyInstanceUid: string,
  refs: ReadonlyArray<{ seriesInstanceUid: string; sopClassUid: string; sopInstanceUid: string }>,
): NaturalDataset[] {
  const bySeries = new Map<string, Map<string, string>>();
  for (const r of refs) {
    const series = bySeries.get(r.seriesInstanceUid) ?? new Map<string, string>();
    series.set(r.sopInstanceUid, r.sopClassUid);
    bySeries.set(r.seriesInstanceUid, series);
  }
  return [
    {
      StudyInstanceUID: studyInstanceUid,
      ReferencedSeriesSequence: [...bySeries.entries()].map(([seriesUid, instances]) => ({
        SeriesInstanceUID: seriesUid,
        ReferencedSOPSequence: [...instances.entries()].map(([sopInstanceUid, sopClassUid]) => ({
          ReferencedSOPClassUID: sopClassUid,
          ReferencedSOPInstanceUID: sopInstanceUid,
        })),
      })),
    },
  ];
}

function roundTo(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Checks the parts of a result the SR encodes; throws ENCODE_INVALID listing every problem. */
export function validateReportInput(result: InferenceResult, segmentation?: SegmentationReference): void {
  const problems: string[] = [];
  const checkCode = (
    path: string,
    c: { value: string; scheme: string; meaning: string } | undefined,
  ): void => {
    if (!c || !c.value || !c.scheme || !c.meaning)
      problems.push(`${path}: value, scheme and meaning are required`);
    else if (c.scheme === 'SRT') problems.push(`${path}: the SRT designator is retired; use SCT`);
  };
  if (result.findings.length === 0 && result.measurements.length === 0) {
    problems.push('findings/measurements: an SR needs at least one');
  }
  result.findings.forEach((f, i) => {
    checkCode(`findings[${i}].code`, f.code);
    if (f.findingSite) checkCode(`findings[${i}].findingSite`, f.findingSite);
    if (!f.label) problems.push(`findings[${i}].label: required`);
    if (f.probability !== null && !(f.probability >= 0 && f.probability <= 1)) {
      problems.push(`findings[${i}].probability: between 0 and 1`);
    }
  });
  const segments = new Set(result.labelVolume?.segments.map((s) => s.segmentNumber) ?? []);
  result.measurements.forEach((m, i) => {
    checkCode(`measurements[${i}].code`, m.code);
    if (m.findingSite) checkCode(`measurements[${i}].findingSite`, m.findingSite);
    if (!m.name) problems.push(`measurements[${i}].name: required`);
    if (!Number.isFinite(m.value)) problems.push(`measurements[${i}].value: a finite number`);
    if (!m.unit?.code || !m.unit.meaning)
      problems.push(`measurements[${i}].unit: UCUM code and meaning required`);
    if (m.segmentNumber !== undefined && segmentation && !segments.has(m.segmentNumber)) {
      problems.push(`measurements[${i}].segmentNumber: no segment ${m.segmentNumber} in the label volume`);
    }
  });
  if (problems.length > 0)
    throw new NodeError('ENCODE_INVALID', 'cannot encode the measurement report', problems);
}
