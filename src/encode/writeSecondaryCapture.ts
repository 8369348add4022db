import { SopClass, str, type NaturalDataset } from '../dicom';
import { NodeError } from '../pipeline/errors';
import type { EncodedObject, InferenceResult, LabelVolume } from '../pipeline/types';
import { codeSequenceItem, Codes } from './codes';
import {
  anatomyAttributes,
  equipmentAttributes,
  patientStudyAttributes,
  seriesDescription,
  seriesNumber,
  timestampAttributes,
} from './commonAttributes';
import { dicomDate, dicomTime } from './dicomValues';
import type { EncodeContext } from './encodeContext';
import { patientOrientationOf } from './patientOrientation';
import { annotate, blendHeatMap, DISCLAIMER, drawMask, resultLines } from './renderOverlays';
import type { BuiltObject, WriterInput } from './resultWriter';
import { resultInstanceUid, resultSeriesUid, type ResultObjectType } from './resultUids';
import type { RgbImage } from './rgbCanvas';
import { findSource, type SourceInstance } from './sourceInstances';
import { validateLabelVolume } from './writeSegmentation';
import { writeBuiltObjects } from './writeBuiltObjects';

/** One rendered frame and the source frame it was drawn on. */
export interface RenderedFrame {
  source: SourceInstance;
  /** 1-based frame number in the source. */
  frameNumber: number;
  image: RgbImage;
}

/** Frame Time in ms of a multi-frame SC (PS3.3 C.7.6.5 Cine): a slow scroll through slices. */
const FRAME_TIME_MS = 200;

/**
 * Writes the Secondary Capture renderings of a result (RESULTS.md 3.3): one single-frame SC
 * per heat map (jet colour map blended over the source); one SC of the label volume outlines
 * (a Multi-frame True Color SC when more than one slice is rendered — all slices, or the
 * `ctx.scKeySlices` slices with most mask); without either, one SC of the middle source image
 * with the findings text. Every rendering carries the result text and the disclaimer burned in.
 */
export async function writeSecondaryCapture(input: WriterInput): Promise<EncodedObject[]> {
  return writeBuiltObjects(await prepareSecondaryCaptures(input), input.result, input.ctx);
}

/** The SC renderings of a run, built and validated, not yet written. */
export async function prepareSecondaryCaptures(input: WriterInput): Promise<BuiltObject[]> {
  const { result, ctx, sources, readUnderlay } = input;
  const renderings: RenderedFrame[][] = [];
  const lines = resultLines(result);

  const underlay = async (source: SourceInstance, frameNumber: number): Promise<RgbImage> => {
    const f = await readUnderlay(source.ref.filePath, frameNumber - 1);
    return { rows: f.rows, columns: f.columns, data: Uint8Array.from(f.rgb) };
  };

  for (const heat of result.heatMaps ?? []) {
    const source = findSource(sources, heat.sopInstanceUid);
    if (heat.data.length !== heat.rows * heat.columns || heat.rows < 1 || heat.columns < 1) {
      throw new NodeError(
        'ENCODE_INVALID',
        `heat map on ${heat.sopInstanceUid}: ${heat.data.length} values for ${heat.rows}x${heat.columns}`,
      );
    }
    const image = await underlay(source, heat.frameNumber);
    blendHeatMap(image, heat);
    annotate(image, lines);
    renderings.push([{ source, frameNumber: heat.frameNumber, image }]);
  }

  const volume = result.labelVolume;
  if (volume) {
    validateLabelVolume(volume, sources);
    const frames: RenderedFrame[] = [];
    const pixels = volume.rows * volume.columns;
    for (const i of keySliceIndices(volume, ctx.scKeySlices ?? 0)) {
      const ref = volume.frames[i]!;
      const source = findSource(sources, ref.sopInstanceUid);
      const image = await underlay(source, ref.frameNumber);
      if (image.rows !== volume.rows || image.columns !== volume.columns) {
        throw new NodeError(
          'ENCODE_INVALID',
          `underlay ${image.rows}x${image.columns} differs from the label volume`,
        );
      }
      drawMask(image, volume.data.subarray(i * pixels, (i + 1) * pixels), volume.segments);
      annotate(image, lines);
      frames.push({ source, frameNumber: ref.frameNumber, image });
    }
    renderings.push(frames);
  }

  if (renderings.length === 0 && result.findings.length > 0) {
    const source = sources[Math.floor(sources.length / 2)]!;
    const image = await underlay(source, 1);
    annotate(image, lines);
    renderings.push([{ source, frameNumber: 1, image }]);
  }

  return renderings.map((frames, index) => ({
    kind: 'SC' as const,
    dataset: buildSecondaryCapture(result, ctx, frames, index),
  }));
}

/**
 * Indices of the label-volume frames to render, in volume order: all when `keySlices` is 0,
 * else the `keySlices` frames with the most labelled pixels.
 */
export function keySliceIndices(volume: LabelVolume, keySlices: number): number[] {
  const all = volume.frames.map((_, i) => i);
  if (keySlices <= 0 || keySlices >= all.length) return all;
  const pixels = volume.rows * volume.columns;
  const area = all.map((i) => {
    let n = 0;
    for (let k = i * pixels; k < (i + 1) * pixels; k++) if (volume.data[k] !== 0) n++;
    return n;
  });
  return all
    .slice()
    .sort((a, b) => area[b]! - area[a]! || a - b)
    .slice(0, keySlices)
    .sort((a, b) => a - b);
}

/**
 * The SC dataset of rendered frames: Secondary Capture Image (PS3.3 A.8.1) for one frame,
 * Multi-frame True Color SC (A.8.5) for several; RGB 8-bit uncompressed.
 */
export function buildSecondaryCapture(
  result: InferenceResult,
  ctx: EncodeContext,
  frames: readonly RenderedFrame[],
  index: number,
  type: Extract<ResultObjectType, 'SC' | 'DERIVED'> = 'SC',
): NaturalDataset {
  const first = frames[0];
  if (!first) throw new NodeError('ENCODE_INVALID', 'SC without frames');
  const { rows, columns } = first.image;
  if (
    frames.some(
      (f) =>
        f.image.rows !== rows || f.image.columns !== columns || f.image.data.length !== rows * columns * 3,
    )
  ) {
    throw new NodeError('ENCODE_INVALID', 'SC frames differ in size');
  }
  const multiFrame = frames.length > 1;
  const pixelBytes = rows * columns * 3 * frames.length;
  const pixelData = new Uint8Array(pixelBytes + (pixelBytes % 2));
  frames.forEach((f, i) => pixelData.set(f.image.data, i * rows * columns * 3));
  const lossy = frames.some((f) => str(f.source.dataset, 'LossyImageCompression') === '01');

  const ds: NaturalDataset = {
    ...patientStudyAttributes(first.source),
    SOPClassUID: multiFrame
      ? SopClass.MultiFrameTrueColorSecondaryCaptureImage
      : SopClass.SecondaryCaptureImage,
    SOPInstanceUID: resultInstanceUid(result, ctx, type, index),
    ...timestampAttributes(ctx),
    // PS3.3 C.7.3.1 General Series; OT keeps hanging protocols from treating it as a primary image
    Modality: 'OT',
    SeriesInstanceUID: resultSeriesUid(result, ctx, type),
    SeriesNumber: seriesNumber(ctx, type),
    SeriesDescription: seriesDescription(
      result,
      `${type === 'SC' ? 'SC' : 'IMAGES'} - NOT FOR PRIMARY DIAGNOSIS`,
    ),
    ...anatomyAttributes(first.source, true),
    ...equipmentAttributes(result, ctx),
    // PS3.3 C.8.6.1 SC Equipment
    ConversionType: 'WSD',
    // PS3.3 C.7.6.1 General Image
    InstanceNumber: index + 1,
    PatientOrientation: patientOrientationOf(first.source),
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: `${DISCLAIMER}: rendering of ${result.modelName} ${result.modelVersion} output`,
    SourceImageSequence: frames.map((f) => sourceImageItem(f)),
    BurnedInAnnotation: 'YES',
    LossyImageCompression: lossy ? '01' : '00',
    ImageComments: DISCLAIMER,
    // PS3.3 C.8.6.2 SC Image
    DateOfSecondaryCapture: dicomDate(ctx.now),
    TimeOfSecondaryCapture: dicomTime(ctx.now),
    // PS3.3 C.7.6.3 Image Pixel
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixelData.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  if (multiFrame) {
    // PS3.3 C.7.6.6 Multi-frame, C.7.6.5 Cine, C.8.6.3 SC Multi-frame Image
    ds.NumberOfFrames = frames.length;
    ds.FrameIncrementPointer = 0x00181063; // FrameTime
    ds.FrameTime = FRAME_TIME_MS;
  }
  return ds;
}

/** PS3.3 C.7.6.1.1 SourceImageSequence item of a rendered frame. */
function sourceImageItem(f: RenderedFrame): NaturalDataset {
  const item: NaturalDataset = {
    ReferencedSOPClassUID: f.source.ref.sopClassUid,
    ReferencedSOPInstanceUID: f.source.ref.sopInstanceUid,
  };
  if (f.source.numberOfFrames > 1) item.ReferencedFrameNumber = [f.frameNumber];
  item.PurposeOfReferenceCodeSequence = [codeSequenceItem(Codes.sourceImageForProcessing)];
  return item;
}
