import type { DerivedFrame } from '../../pipeline/types';
import { NodeError } from '../../pipeline/errors';
import { resizeBilinear } from '../preprocess/work';
import type { Task } from './taskTypes';

/**
 * image-to-image: the output image (channel 0) back on each source frame's rows x columns,
 * stored as 16-bit values with the manifest's rescale (output = stored * slope + intercept).
 */
export const imageToImageTask: Task = async (ctx) => {
  const { slope, intercept } = ctx.manifest.output.rescale ?? { slope: 1, intercept: 0 };
  const derivedFrames: DerivedFrame[] = [];
  for (const item of ctx.items) {
    const out = await ctx.runGraph(item.work);
    const [h, w] = out.dims.slice(-2);
    const planes = out.data.length / (h * w);
    if (!Number.isInteger(planes) || planes < 1)
      throw new NodeError(
        'INFERENCE_FAILED',
        `image-to-image output shape [${out.dims.join(', ')}] is not an image`,
      );
    const depth = item.frames.length;
    const channels = planes / depth;
    if (!Number.isInteger(channels))
      throw new NodeError('INFERENCE_FAILED', `output has ${planes} planes for ${depth} source frames`);
    // Channel 0 of every plane.
    const first = out.data.subarray(0, depth * h * w);
    const back =
      h === item.sourceRows && w === item.sourceColumns
        ? first
        : resizeBilinear(first, depth, h, w, item.sourceRows, item.sourceColumns);
    const plane = item.sourceRows * item.sourceColumns;
    item.frames.forEach((f, z) => {
      const v = back.subarray(z * plane, (z + 1) * plane);
      let signed = false;
      const stored = new Float64Array(plane);
      for (let i = 0; i < plane; i++) {
        stored[i] = Math.round((v[i] - intercept) / slope);
        if (stored[i] < 0) signed = true;
      }
      const data = signed ? new Int16Array(plane) : new Uint16Array(plane);
      const [lo, hi] = signed ? [-32768, 32767] : [0, 65535];
      for (let i = 0; i < plane; i++) data[i] = Math.min(hi, Math.max(lo, stored[i]));
      derivedFrames.push({
        ...f,
        rows: item.sourceRows,
        columns: item.sourceColumns,
        data,
        rescaleSlope: slope,
        rescaleIntercept: intercept,
      });
    });
  }
  return {
    findings: [],
    measurements: [],
    derivedFrames,
    algorithmParameters: { 'rescale.slope': String(slope), 'rescale.intercept': String(intercept) },
  };
};
