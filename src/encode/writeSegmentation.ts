import { SopClass, str, type NaturalDataset } from '../dicom';
import { NodeError } from '../pipeline/errors';
import type { EncodedObject, InferenceResult, LabelVolume } from '../pipeline/types';
import { algorithmParameterLines } from './algorithmIdentification';
import { rgbToDicomLab } from './cieLab';
import { codeSequenceItem, Codes } from './codes';
import {
  anatomyAttributes,
  equipmentAttributes,
  patientStudyAttributes,
  seriesDescription,
  seriesNumber,
  timestampAttributes,
} from './commonAttributes';
import { clip, formatDs, toCodeString } from './dicomValues';
import type { EncodeContext } from './encodeContext';
import { distanceAlongNormal, frameGeometry, sameNumbers, type FrameGeometry } from './frameGeometry';
import { packBits } from './packBits';
import { patientOrientationOf } from './patientOrientation';
import type { BuiltObject, WriterInput } from './resultWriter';
import { resultInstanceUid, resultSeriesUid, resultUid, segmentTrackingUid } from './resultUids';
import { findSource, type SourceInstance } from './sourceInstances';
import { writeBuiltObjects } from './writeBuiltObjects';

/** PS3.3 C.8.20.2: the frames kept — one per (segment, source frame) where the segment has a pixel. */
interface SegFrame {
  segmentNumber: number;
  /** Index into labelVolume.frames. */
  volumeIndex: number;
}

/**
 * Writes a BINARY Segmentation (PS3.3 A.51, 1 bit) of `result.labelVolume` on the source
 * geometry: one segment per SegmentDescription, empty frames omitted (as highdicom does by
 * default; when every frame is empty, one empty frame of segment 1 is kept so the object says
 * "nothing found"), frames ordered by segment then by the label volume's frame order.
 */
export async function writeSegmentation(input: WriterInput): Promise<EncodedObject[]> {
  return writeBuiltObjects(await prepareSegmentation(input), input.result, input.ctx);
}

/** The SEG of a run, built and validated, not yet written. */
export async function prepareSegmentation(input: WriterInput): Promise<BuiltObject[]> {
  return [{ kind: 'SEG', dataset: buildSegmentation(input.result, input.ctx, input.sources) }];
}

/** The SEG dataset (naturalized) — pure, for tests. */
export function buildSegmentation(
  result: InferenceResult,
  ctx: EncodeContext,
  sources: readonly SourceInstance[],
): NaturalDataset {
  const volume = result.labelVolume;
  if (!volume) throw new NodeError('ENCODE_INVALID', 'SEG requested but the result has no label volume');
  validateLabelVolume(volume, sources);
  const frameSources = volume.frames.map((f) => findSource(sources, f.sopInstanceUid));
  const geometries = volume.frames.map((f, i) => frameGeometry(frameSources[i]!, f.frameNumber));
  const first = frameSources[0]!;
  const forUid = geometries[0]!.frameOfReferenceUid;
  const spatial =
    forUid !== null &&
    geometries.every(
      (g) => g.position !== null && g.orientation !== null && g.frameOfReferenceUid === forUid,
    );

  const pixelsPerFrame = volume.rows * volume.columns;
  const frames = selectFrames(volume, pixelsPerFrame);
  const positionIndex = spatial ? positionIndices(geometries) : null;

  const dimensionOrganizationUid = resultUid(result, ctx, 'SEG', 'dimension-organization');
  const dimensionIndex: NaturalDataset[] = [
    {
      DimensionOrganizationUID: dimensionOrganizationUid,
      DimensionIndexPointer: 0x0062000b, // ReferencedSegmentNumber
      FunctionalGroupPointer: 0x0062000a, // SegmentIdentificationSequence
      DimensionDescriptionLabel: 'Segment Number',
    },
  ];
  if (spatial) {
    dimensionIndex.push({
      DimensionOrganizationUID: dimensionOrganizationUid,
      DimensionIndexPointer: 0x00200032, // ImagePositionPatient
      FunctionalGroupPointer: 0x00209113, // PlanePositionSequence
      DimensionDescriptionLabel: 'Image Position Patient',
    });
  }

  const sharedOrientation =
    spatial && geometries.every((g) => sameNumbers(g.orientation, geometries[0]!.orientation));
  const measuresOf = (g: FrameGeometry): NaturalDataset | null => pixelMeasures(g);
  const sharedMeasures = geometries.every(
    (g) => JSON.stringify(measuresOf(g)) === JSON.stringify(measuresOf(geometries[0]!)),
  );
  const shared: NaturalDataset = {};
  if (sharedOrientation)
    shared.PlaneOrientationSequence = [
      { ImageOrientationPatient: geometries[0]!.orientation!.map(formatDs) },
    ];
  if (sharedMeasures && measuresOf(geometries[0]!))
    shared.PixelMeasuresSequence = [measuresOf(geometries[0]!)];

  const perFrame = frames.map((f) => {
    const src = frameSources[f.volumeIndex]!;
    const g = geometries[f.volumeIndex]!;
    const sourceRef: NaturalDataset = {
      ReferencedSOPClassUID: src.ref.sopClassUid,
      ReferencedSOPInstanceUID: src.ref.sopInstanceUid,
    };
    if (src.numberOfFrames > 1) sourceRef.ReferencedFrameNumber = [volume.frames[f.volumeIndex]!.frameNumber];
    sourceRef.PurposeOfReferenceCodeSequence = [codeSequenceItem(Codes.sourceImageForProcessing)];
    sourceRef.SpatialLocationsPreserved = 'YES';
    const item: NaturalDataset = {
      // PS3.3 C.7.6.16.2.6 Derivation Image Functional Group
      DerivationImageSequence: [
        { SourceImageSequence: [sourceRef], DerivationCodeSequence: [codeSequenceItem(Codes.segmentation)] },
      ],
      // PS3.3 C.7.6.16.2.2 Frame Content
      FrameContentSequence: [
        {
          DimensionIndexValues: positionIndex
            ? [f.segmentNumber, positionIndex[f.volumeIndex]!]
            : [f.segmentNumber],
        },
      ],
    };
    if (spatial) item.PlanePositionSequence = [{ ImagePositionPatient: g.position!.map(formatDs) }];
    if (spatial && !sharedOrientation)
      item.PlaneOrientationSequence = [{ ImageOrientationPatient: g.orientation!.map(formatDs) }];
    if (!sharedMeasures && measuresOf(g)) item.PixelMeasuresSequence = [measuresOf(g)];
    // PS3.3 C.8.20.3.1 Segmentation Functional Group
    item.SegmentIdentificationSequence = [{ ReferencedSegmentNumber: f.segmentNumber }];
    return item;
  });

  const pixelData = packBits(
    frames.map((f) => {
      const offset = f.volumeIndex * pixelsPerFrame;
      return (i: number) => volume.data[offset + i] === f.segmentNumber;
    }),
    pixelsPerFrame,
  );

  const ds: NaturalDataset = {
    ...patientStudyAttributes(first),
    SOPClassUID: SopClass.Segmentation,
    SOPInstanceUID: resultInstanceUid(result, ctx, 'SEG'),
    ...timestampAttributes(ctx),
    // PS3.3 C.8.20.1 Segmentation Series Module
    Modality: 'SEG',
    SeriesInstanceUID: resultSeriesUid(result, ctx, 'SEG'),
    SeriesNumber: seriesNumber(ctx, 'SEG'),
    SeriesDescription: seriesDescription(result, 'SEG'),
    ...anatomyAttributes(first),
    // PS3.3 C.7.5.2 Enhanced General Equipment (all Type 1)
    ...equipmentAttributes(result, ctx),
    // PS3.3 C.7.6.1 General Image, C.8.20.2 Segmentation Image Module
    InstanceNumber: 1,
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: toCodeString(`AI_${result.modelId}`),
    ContentDescription: clip(
      `${result.modelName} ${result.modelVersion} AI RESULT - NOT FOR PRIMARY DIAGNOSIS`,
      64,
    ),
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: volume.rows,
    Columns: volume.columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: volume.segments.map((s) => segmentItem(result, ctx, s)),
    // PS3.3 C.7.6.17 Multi-frame Dimension Module
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: dimensionIndex,
    // PS3.3 C.7.6.6 Multi-frame, C.7.6.16 Multi-frame Functional Groups
    NumberOfFrames: frames.length,
    SharedFunctionalGroupsSequence: [shared],
    PerFrameFunctionalGroupsSequence: perFrame,
    // PS3.3 C.12.2 Common Instance Reference Module
    ReferencedSeriesSequence: referencedSeries(volume, frameSources),
    PixelData: [pixelData.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  // PS3.3 C.7.6.1 General Image: Patient Orientation 2C when frames carry no plane position/orientation
  if (!spatial) ds.PatientOrientation = patientOrientationOf(first);
  if (spatial) {
    ds.DimensionOrganizationType = '3D';
    // PS3.3 C.7.4.1 Frame of Reference Module: the source's
    ds.FrameOfReferenceUID = forUid;
    ds.PositionReferenceIndicator = first.dataset.PositionReferenceIndicator ?? '';
  }
  return ds;
}

function pixelMeasures(g: FrameGeometry): NaturalDataset | null {
  if (!g.pixelSpacing) return null;
  const m: NaturalDataset = { PixelSpacing: g.pixelSpacing.map(formatDs) };
  // SliceThickness is 1C in the SEG Pixel Measures; a source without one gives its slice spacing,
  // which is the depth of a segmentation voxel on that grid
  const thickness = g.sliceThickness ?? g.spacingBetweenSlices;
  if (thickness !== null) m.SliceThickness = formatDs(thickness);
  if (g.spacingBetweenSlices !== null) m.SpacingBetweenSlices = formatDs(g.spacingBetweenSlices);
  return m;
}

/** PS3.3 C.8.20.2 SegmentSequence item, with TID-1411-shared tracking and algorithm identification. */
function segmentItem(
  result: InferenceResult,
  ctx: EncodeContext,
  s: LabelVolume['segments'][number],
): NaturalDataset {
  const algorithm: NaturalDataset = {
    AlgorithmFamilyCodeSequence: [codeSequenceItem(Codes.artificialIntelligence)],
    AlgorithmName: clip(result.modelName, 64),
    AlgorithmVersion: clip(result.modelVersion, 64),
  };
  const params = algorithmParameterLines(result).join(',');
  if (params) algorithm.AlgorithmParameters = clip(params, 64);
  return {
    SegmentNumber: s.segmentNumber,
    SegmentLabel: clip(s.label, 64),
    SegmentedPropertyCategoryCodeSequence: [codeSequenceItem(s.category)],
    SegmentedPropertyTypeCodeSequence: [codeSequenceItem(s.type)],
    SegmentAlgorithmType: 'AUTOMATIC',
    SegmentAlgorithmName: clip(result.modelName, 64),
    SegmentationAlgorithmIdentificationSequence: [algorithm],
    RecommendedDisplayCIELabValue: rgbToDicomLab(s.color),
    TrackingID: s.label,
    TrackingUID: segmentTrackingUid(result, ctx, s.segmentNumber),
  };
}

/** Non-empty (segment, frame) pairs, segment-major; one empty frame of segment 1 when all are empty. */
function selectFrames(volume: LabelVolume, pixelsPerFrame: number): SegFrame[] {
  const out: SegFrame[] = [];
  for (const s of volume.segments) {
    for (let f = 0; f < volume.frames.length; f++) {
      const frame = volume.data.subarray(f * pixelsPerFrame, (f + 1) * pixelsPerFrame);
      if (frame.includes(s.segmentNumber)) out.push({ segmentNumber: s.segmentNumber, volumeIndex: f });
    }
  }
  if (out.length === 0) out.push({ segmentNumber: volume.segments[0]!.segmentNumber, volumeIndex: 0 });
  return out;
}

/** 1-based index of each frame's position among the distinct positions sorted along the normal. */
function positionIndices(geometries: readonly FrameGeometry[]): number[] {
  const d = geometries.map((g) => distanceAlongNormal(g.position!, g.orientation!));
  const distinct = [...new Set(d.map((v) => Math.round(v * 1e4) / 1e4))].sort((a, b) => a - b);
  return d.map((v) => distinct.indexOf(Math.round(v * 1e4) / 1e4) + 1);
}

/** PS3.3 C.12.2 ReferencedSeriesSequence: every source instance the frames derive from, by series. */
function referencedSeries(volume: LabelVolume, frameSources: readonly SourceInstance[]): NaturalDataset[] {
  const bySeries = new Map<string, Map<string, string>>();
  volume.frames.forEach((_, i) => {
    const s = frameSources[i]!;
    const series = str(s.dataset, 'SeriesInstanceUID') ?? '';
    const m = bySeries.get(series) ?? new Map<string, string>();
    m.set(s.ref.sopInstanceUid, s.ref.sopClassUid);
    bySeries.set(series, m);
  });
  return [...bySeries.entries()].map(([series, instances]) => ({
    SeriesInstanceUID: series,
    ReferencedInstanceSequence: [...instances.entries()].map(([uid, cls]) => ({
      ReferencedSOPClassUID: cls,
      ReferencedSOPInstanceUID: uid,
    })),
  }));
}

/** Checks the label volume against its segments and the source geometry; lists every problem. */
export function validateLabelVolume(volume: LabelVolume, sources: readonly SourceInstance[]): void {
  const problems: string[] = [];
  const { rows, columns } = volume;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(columns) || columns < 1) {
    problems.push('labelVolume.rows/columns: positive integers');
  }
  if (volume.frames.length === 0) problems.push('labelVolume.frames: at least one');
  if (volume.data.length !== volume.frames.length * rows * columns) {
    problems.push(
      `labelVolume.data: ${volume.data.length} values for ${volume.frames.length} frames of ${rows}x${columns}`,
    );
  }
  if (volume.segments.length === 0) problems.push('labelVolume.segments: at least one');
  volume.segments.forEach((s, i) => {
    if (s.segmentNumber !== i + 1)
      problems.push(`labelVolume.segments[${i}].segmentNumber: must be ${i + 1} (1..n in order)`);
    if (!s.label) problems.push(`labelVolume.segments[${i}].label: required`);
    for (const k of ['category', 'type'] as const) {
      const c = s[k];
      if (!c?.value || !c.scheme || !c.meaning)
        problems.push(`labelVolume.segments[${i}].${k}: value, scheme and meaning required`);
    }
  });
  const max = volume.segments.length;
  for (let i = 0; i < volume.data.length; i++) {
    if (volume.data[i]! > max) {
      problems.push(`labelVolume.data: value ${volume.data[i]} at ${i} is not a segment number (0..${max})`);
      break;
    }
  }
  const seen = new Set<string>();
  volume.frames.forEach((f, i) => {
    const key = `${f.sopInstanceUid}/${f.frameNumber}`;
    if (seen.has(key)) problems.push(`labelVolume.frames[${i}]: ${key} listed twice`);
    seen.add(key);
    const src = sources.find((s) => s.ref.sopInstanceUid === f.sopInstanceUid);
    if (!src) {
      problems.push(`labelVolume.frames[${i}]: ${f.sopInstanceUid} is not a source instance`);
      return;
    }
    if (!Number.isInteger(f.frameNumber) || f.frameNumber < 1 || f.frameNumber > src.numberOfFrames) {
      problems.push(`labelVolume.frames[${i}].frameNumber: 1..${src.numberOfFrames}`);
    }
    const srcRows = Number(src.dataset.Rows);
    const srcColumns = Number(src.dataset.Columns);
    if (srcRows !== rows || srcColumns !== columns) {
      problems.push(
        `labelVolume.frames[${i}]: source is ${srcRows}x${srcColumns}, label volume ${rows}x${columns}`,
      );
    }
  });
  if (problems.length > 0) throw new NodeError('ENCODE_INVALID', 'cannot encode the segmentation', problems);
}
