import type { NaturalDataset } from '../../dicom/dcmjs';
import { str, nums } from '../../dicom/datasetValues';
import { readDicomHeader } from '../../dicom/readDicomHeader';
import { decodeFile } from '../../dicom/pixels';
import { assembleVolume } from '../../dicom/volume';
import { NodeError } from '../../pipeline/errors';
import type { SeriesInstanceRef } from '../../pipeline/types';
import type { ModelManifest } from '../manifest/modelManifestSchema';
import type { Grid, Work } from '../preprocess/work';

/** Thrown inside a job when the decoded series turns out to be outside the model's contract. */
export class OutOfScope extends Error {}

/** One model input before preprocessing, with what is needed to map results back to the source. */
export interface InputItem {
  work: Work;
  /** Source frames covered, in plane order of `work` before resampling. */
  frames: Array<{ sopInstanceUid: string; frameNumber: number }>;
  sourceRows: number;
  sourceColumns: number;
  /** Volume and stack inputs: the assembled source grid. */
  sourceGrid?: Grid;
}

/** Builds the items for one input kind. */
export type InputBuilder = (
  manifest: ModelManifest,
  instances: readonly SeriesInstanceRef[],
) => Promise<InputItem[]>;

/** image: every frame of every instance is one model input. */
const imageBuilder: InputBuilder = async (_manifest, instances) => {
  const items: InputItem[] = [];
  for (const inst of instances) {
    const img = await decodeFile(inst.filePath);
    if (img.samplesPerPixel !== 1)
      throw new OutOfScope(`colour images (${img.photometricInterpretation}) are not accepted`);
    const ps = nums(img.header, 'PixelSpacing');
    const ips = nums(img.header, 'ImagerPixelSpacing');
    const sp = ps.length >= 2 ? ps : ips.length >= 2 ? ips : [1, 1];
    const sopInstanceUid = str(img.header, 'SOPInstanceUID') ?? inst.sopInstanceUid;
    img.frames.forEach((frame, f) => {
      items.push({
        work: {
          data: Float32Array.from(frame),
          channels: 1,
          depth: 1,
          height: img.rows,
          width: img.columns,
          // PixelSpacing is row spacing \ column spacing (PS3.3 10.7.1.3).
          spacingMm: [sp[1], sp[0], 1],
          photometricInterpretation: img.photometricInterpretation,
          header: img.header,
          frameIndex: f,
          modalityLutApplied: false,
        },
        frames: [{ sopInstanceUid, frameNumber: f + 1 }],
        sourceRows: img.rows,
        sourceColumns: img.columns,
      });
    });
  }
  return items;
};

/** stack and volume: the series assembled from geometry (IPP/IOP), modality values. */
const volumeBuilder: InputBuilder = async (manifest, instances) => {
  let assembled: Awaited<ReturnType<typeof assembleVolume>>;
  try {
    assembled = await assembleVolume(instances.map((i) => i.filePath));
  } catch (e) {
    // Mixed orientations, matrix sizes or colour slices: not a volume this model can take.
    if (e instanceof NodeError && e.code === 'DECODE_FAILED' && /mixed|sample per pixel/.test(e.message))
      throw new OutOfScope(e.message);
    throw e;
  }
  const { volume, report } = assembled;
  if (report.mixedOrientation) throw new OutOfScope('slices have mixed orientations');
  const [ni, nj, nk] = volume.dims;
  if (nk < manifest.contract.minSlices)
    throw new OutOfScope(
      `${nk} slices after assembly, the model needs at least ${manifest.contract.minSlices}`,
    );
  const first = await decodeFirstHeader(instances);
  const { data, ...grid } = volume;
  const frames =
    volume.slices ?? instances.map((i) => ({ sopInstanceUid: i.sopInstanceUid, frameNumber: 1 }));
  return [
    {
      work: {
        data,
        channels: 1,
        depth: nk,
        height: nj,
        width: ni,
        spacingMm: [volume.spacing[0], volume.spacing[1], volume.spacing[2]],
        photometricInterpretation: str(first, 'PhotometricInterpretation') ?? 'MONOCHROME2',
        header: first,
        grid,
        frameIndex: 0,
        modalityLutApplied: true,
      },
      frames,
      sourceRows: nj,
      sourceColumns: ni,
      sourceGrid: grid,
    },
  ];
};

async function decodeFirstHeader(instances: readonly SeriesInstanceRef[]): Promise<NaturalDataset> {
  return (await readDicomHeader(instances[0].filePath)).dataset;
}

/** Input builders by manifest `input.kind`. */
export const INPUT_BUILDERS: Readonly<Record<ModelManifest['input']['kind'], InputBuilder>> = Object.freeze({
  image: imageBuilder,
  stack: volumeBuilder,
  volume: volumeBuilder,
});
