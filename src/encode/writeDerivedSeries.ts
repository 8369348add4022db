import { SopClass, str, type NaturalDataset } from '../dicom';
import { NodeError } from '../pipeline/errors';
import type { DerivedFrame, EncodedObject, InferenceResult } from '../pipeline/types';
import { codeSequenceItem, Codes } from './codes';
import {
  equipmentAttributes,
  PAIRED_BODY_PARTS,
  seriesDescription,
  seriesNumber,
  timestampAttributes,
} from './commonAttributes';
import { normalizeDateTimes } from './normalizeDateTimes';
import { clip, formatDs } from './dicomValues';
import type { EncodeContext } from './encodeContext';
import { annotate, DISCLAIMER } from './renderOverlays';
import type { BuiltObject, WriterInput } from './resultWriter';
import { resultInstanceUid, resultSeriesUid } from './resultUids';
import type { RgbImage } from './rgbCanvas';
import { findSource, type SourceInstance } from './sourceInstances';
import { buildSecondaryCapture, type RenderedFrame } from './writeSecondaryCapture';
import { writeBuiltObjects } from './writeBuiltObjects';

/** Single-frame IODs a derived image is written in, as its source (PS3.3 A.3 CT, A.4 MR, A.21 PET, A.2 CR). */
const SAME_IOD = new Set<string>([
  SopClass.CTImage,
  SopClass.MRImage,
  SopClass.ComputedRadiographyImage,
  '1.2.840.10008.5.1.4.1.1.128',
]);
/** IODs with a Modality LUT module (Rescale Slope/Intercept are Type 1 there). */
const HAS_RESCALE = new Set<string>([
  SopClass.CTImage,
  SopClass.ComputedRadiographyImage,
  '1.2.840.10008.5.1.4.1.1.128',
]);

/**
 * Type 2 (and 2C) attributes of the target IOD written empty when the source lacks them, so the
 * derived image does not inherit the source's omissions (PS3.3 C.7.3.1 General Series, C.8.3.1
 * MR Image, C.8.2.1 CT Image).
 */
const TYPE2_DEFAULTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  [SopClass.MRImage]: ['PatientPosition', 'ScanOptions', 'RepetitionTime', 'EchoTime', 'EchoTrainLength'],
  [SopClass.CTImage]: ['PatientPosition', 'KVP', 'AcquisitionNumber'],
});

/** IODs whose Image Type value 2 is enumerated PRIMARY (PS3.3 C.8.9.4.1.1 PET Image). */
const PRIMARY_ONLY = new Set<string>(['1.2.840.10008.5.1.4.1.1.128']);

/** Attributes of the source header that do not describe the new pixels or device, removed before copying. */
const DROPPED = [
  'PixelData',
  'WindowCenter',
  'WindowWidth',
  'WindowCenterWidthExplanation',
  'VOILUTFunction',
  'VOILUTSequence',
  'ModalityLUTSequence',
  'SmallestImagePixelValue',
  'LargestImagePixelValue',
  'PixelPaddingValue',
  'PixelPaddingRangeLimit',
  'IconImageSequence',
  'RescaleSlope',
  'RescaleIntercept',
  'RescaleType',
  'ImageComments',
  'DerivationDescription',
  'DerivationCodeSequence',
  'SourceImageSequence',
  'ReferencedImageSequence',
  'Manufacturer',
  'ManufacturerModelName',
  'DeviceSerialNumber',
  'SoftwareVersions',
  'InstitutionName',
  'InstitutionAddress',
  'StationName',
  'PlanarConfiguration',
  'LossyImageCompressionRatio',
  'LossyImageCompressionMethod',
  '_meta',
];

/**
 * Writes image-to-image results (`result.derivedFrames`) as a new derived series: each frame
 * becomes an instance of its source's IOD (CT, MR, PET, CR) with the source geometry, ImageType
 * DERIVED\SECONDARY, new UIDs and a DerivationDescription. Frames of other sources (multi-frame,
 * other IODs) are written as a Secondary Capture rendering in the same series instead.
 */
export async function writeDerivedSeries(input: WriterInput): Promise<EncodedObject[]> {
  return writeBuiltObjects(await prepareDerivedSeries(input), input.result, input.ctx);
}

/** The derived images of a run, built and validated, not yet written. */
export async function prepareDerivedSeries(input: WriterInput): Promise<BuiltObject[]> {
  const { result, ctx, sources } = input;
  const frames = result.derivedFrames ?? [];
  if (frames.length === 0)
    throw new NodeError('ENCODE_INVALID', 'DERIVED requested but the result has no derived frames');
  const out: BuiltObject[] = [];
  const fallback: RenderedFrame[] = [];
  for (const [index, frame] of frames.entries()) {
    const source = findSource(sources, frame.sopInstanceUid);
    validateDerivedFrame(frame, source, index);
    if (SAME_IOD.has(source.ref.sopClassUid) && source.numberOfFrames === 1) {
      out.push({ kind: 'DERIVED', dataset: buildDerivedImage(result, ctx, source, frame, index) });
    } else {
      fallback.push({ source, frameNumber: frame.frameNumber, image: greyscaleRendering(frame) });
    }
  }
  if (fallback.length > 0) {
    fallback.forEach((f) => annotate(f.image, [`${result.modelName} ${result.modelVersion}`]));
    out.push({
      kind: 'DERIVED',
      dataset: buildSecondaryCapture(result, ctx, fallback, frames.length, 'DERIVED'),
    });
  }
  return out;
}

/** A derived image dataset on the source's IOD — pure, for tests. */
export function buildDerivedImage(
  result: InferenceResult,
  ctx: EncodeContext,
  source: SourceInstance,
  frame: DerivedFrame,
  index: number,
): NaturalDataset {
  const ds: NaturalDataset = {};
  for (const [k, v] of Object.entries(normalizeDateTimes(source.dataset))) {
    // private and unknown tags (hex keys) and dropped attributes are not copied
    if (DROPPED.includes(k) || /^[0-9A-Fa-f]{8}$/.test(k)) continue;
    ds[k] = v;
  }
  const signed = frame.data instanceof Int16Array;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of frame.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const outLo = lo * frame.rescaleSlope + frame.rescaleIntercept;
  const outHi = hi * frame.rescaleSlope + frame.rescaleIntercept;
  const sourceType = Array.isArray(source.dataset.ImageType) ? source.dataset.ImageType.map(String) : [];
  Object.assign(ds, {
    SOPInstanceUID: resultInstanceUid(result, ctx, 'DERIVED', index),
    ...timestampAttributes(ctx),
    SeriesInstanceUID: resultSeriesUid(result, ctx, 'DERIVED'),
    SeriesNumber: seriesNumber(ctx, 'DERIVED'),
    SeriesDescription: seriesDescription(result, 'NOT FOR PRIMARY DIAGNOSIS'),
    SeriesDate: ds.ContentDate,
    SeriesTime: ds.ContentTime,
    ...equipmentAttributes(result, ctx),
    // PS3.3 C.7.6.1 General Image: derived, with its source
    InstanceNumber: Number(str(source.dataset, 'InstanceNumber') ?? index + 1),
    ImageType: [
      'DERIVED',
      PRIMARY_ONLY.has(source.ref.sopClassUid) ? 'PRIMARY' : 'SECONDARY',
      ...sourceType.slice(2),
    ],
    DerivationDescription: clip(`${DISCLAIMER}: ${result.modelName} ${result.modelVersion} output`, 1024),
    SourceImageSequence: [
      {
        ReferencedSOPClassUID: source.ref.sopClassUid,
        ReferencedSOPInstanceUID: source.ref.sopInstanceUid,
        PurposeOfReferenceCodeSequence: [codeSequenceItem(Codes.sourceImageForProcessing)],
      },
    ],
    ImageComments: DISCLAIMER,
    // PS3.3 C.7.6.3 Image Pixel: 16-bit greyscale
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: frame.rows,
    Columns: frame.columns,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: signed ? 1 : 0,
    // PS3.3 C.11.2 VOI LUT: a window over the output range
    WindowCenter: formatDs((outLo + outHi) / 2),
    WindowWidth: formatDs(Math.max(1, outHi - outLo)),
    PixelData: [
      frame.data.buffer.slice(frame.data.byteOffset, frame.data.byteOffset + frame.data.byteLength),
    ],
    _vrMap: { PixelData: 'OW' },
  });
  for (const k of TYPE2_DEFAULTS[source.ref.sopClassUid] ?? []) if (ds[k] === undefined) ds[k] = '';
  // General Series Laterality 2C: present (empty) when the part is unknown or paired and no value is known
  const bodyPart = str(ds, 'BodyPartExamined');
  if (
    ds.Laterality === undefined &&
    !str(ds, 'ImageLaterality') &&
    (!bodyPart || PAIRED_BODY_PARTS.has(bodyPart))
  ) {
    ds.Laterality = '';
  }
  const identity = frame.rescaleSlope === 1 && frame.rescaleIntercept === 0;
  if (HAS_RESCALE.has(source.ref.sopClassUid) || !identity) {
    // PS3.3 C.11.1 Modality LUT
    ds.RescaleSlope = formatDs(frame.rescaleSlope);
    ds.RescaleIntercept = formatDs(frame.rescaleIntercept);
    if (source.ref.sopClassUid === SopClass.ComputedRadiographyImage) ds.RescaleType = 'US';
  }
  return ds;
}

/** A derived frame windowed over its own range, as RGB, for the SC fallback. */
function greyscaleRendering(frame: DerivedFrame): RgbImage {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of frame.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = Math.max(1, hi - lo);
  const data = new Uint8Array(frame.rows * frame.columns * 3);
  frame.data.forEach((v, i) => {
    const g = Math.round(((v - lo) / span) * 255);
    data[i * 3] = g;
    data[i * 3 + 1] = g;
    data[i * 3 + 2] = g;
  });
  return { rows: frame.rows, columns: frame.columns, data };
}

function validateDerivedFrame(frame: DerivedFrame, source: SourceInstance, index: number): void {
  const problems: string[] = [];
  if (frame.data.length !== frame.rows * frame.columns)
    problems.push(`data: ${frame.data.length} values for ${frame.rows}x${frame.columns}`);
  if (Number(source.dataset.Rows) !== frame.rows || Number(source.dataset.Columns) !== frame.columns) {
    problems.push(`size ${frame.rows}x${frame.columns} differs from the source (same geometry required)`);
  }
  if (
    !Number.isFinite(frame.rescaleSlope) ||
    frame.rescaleSlope === 0 ||
    !Number.isFinite(frame.rescaleIntercept)
  ) {
    problems.push('rescaleSlope/rescaleIntercept: finite, slope not 0');
  }
  if (frame.frameNumber < 1 || frame.frameNumber > source.numberOfFrames)
    problems.push(`frameNumber: 1..${source.numberOfFrames}`);
  if (problems.length > 0) {
    throw new NodeError(
      'ENCODE_INVALID',
      `cannot encode derived frame ${index}`,
      problems.map((p) => `derivedFrames[${index}].${p}`),
    );
  }
}
