import { NodeError } from '../../pipeline/errors';
import type { NaturalDataset } from '../dcmjs';
import { items, nums, str } from '../datasetValues';

/** Where one frame lies (PS3.3 C.7.6.2 Image Plane Module, or C.7.6.16.2.3-4 Plane Position/Orientation functional groups). */
export interface SliceGeometry {
  position: [number, number, number];
  /** Row direction cosines (along increasing column index), then column direction cosines. */
  orientation: [number, number, number, number, number, number];
  /** [between rows, between columns] (Pixel Spacing order, PS3.3 10.7.1.3). */
  pixelSpacing: [number, number];
  sliceThickness: number | null;
  spacingBetweenSlices: number | null;
}

function group(header: NaturalDataset, frameIndex: number, sequence: string): NaturalDataset | undefined {
  const perFrame = items(items(header, 'PerFrameFunctionalGroupsSequence')[frameIndex] ?? {}, sequence)[0];
  return perFrame ?? items(items(header, 'SharedFunctionalGroupsSequence')[0] ?? {}, sequence)[0];
}

/** The geometry of one frame: from the functional groups of an enhanced multi-frame image, else from the Image Plane Module. */
export function sliceGeometry(
  header: NaturalDataset,
  frameIndex: number,
  numberOfFrames: number,
): SliceGeometry {
  const where = `${str(header, 'SOPInstanceUID') ?? 'instance'} frame ${frameIndex + 1}`;
  const ipp = nums(group(header, frameIndex, 'PlanePositionSequence') ?? {}, 'ImagePositionPatient');
  const iop = nums(group(header, frameIndex, 'PlaneOrientationSequence') ?? {}, 'ImageOrientationPatient');
  const measures = group(header, frameIndex, 'PixelMeasuresSequence') ?? {};
  const position = ipp.length === 3 ? ipp : numberOfFrames === 1 ? nums(header, 'ImagePositionPatient') : [];
  const orientation = iop.length === 6 ? iop : nums(header, 'ImageOrientationPatient');
  const spacing =
    nums(measures, 'PixelSpacing').length === 2
      ? nums(measures, 'PixelSpacing')
      : nums(header, 'PixelSpacing');
  if (position.length !== 3)
    throw new NodeError('DECODE_FAILED', `DECODE_FAILED: ${where} has no Image Position (Patient)`);
  if (orientation.length !== 6)
    throw new NodeError('DECODE_FAILED', `DECODE_FAILED: ${where} has no Image Orientation (Patient)`);
  const thickness = nums(measures, 'SliceThickness')[0] ?? nums(header, 'SliceThickness')[0] ?? null;
  const between =
    nums(measures, 'SpacingBetweenSlices')[0] ?? nums(header, 'SpacingBetweenSlices')[0] ?? null;
  return {
    position: position as SliceGeometry['position'],
    orientation: orientation as SliceGeometry['orientation'],
    pixelSpacing:
      spacing.length === 2 && spacing[0]! > 0 && spacing[1]! > 0 ? (spacing as [number, number]) : [1, 1],
    sliceThickness: thickness,
    spacingBetweenSlices: between,
  };
}
