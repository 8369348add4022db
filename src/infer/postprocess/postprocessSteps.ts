import { NodeError } from '../../pipeline/errors';
import type { PostprocessStepSpec } from '../manifest/modelManifestSchema';
import {
  argmaxChannels,
  largestComponentPerLabel,
  medianFilterLabels,
  sigmoidInPlace,
  softmaxChannels,
  thresholdMask,
} from './labelOps';

/**
 * A model output while it is postprocessed: float scores [channel][depth][row][column], and once
 * `argmax` or `threshold` ran, a label image [depth][row][column].
 */
export interface OutputState {
  scores: Float32Array;
  channels: number;
  depth: number;
  height: number;
  width: number;
  labels?: Uint8Array;
}

export type PostprocessStep<K extends PostprocessStepSpec['step']> = (
  s: OutputState,
  spec: Extract<PostprocessStepSpec, { step: K }>,
) => OutputState;
export type PostprocessRegistry = { readonly [K in PostprocessStepSpec['step']]: PostprocessStep<K> };

function needLabels(s: OutputState, step: string): Uint8Array {
  if (!s.labels)
    throw new NodeError('INFERENCE_FAILED', `${step} needs a label image: put argmax or threshold before it`);
  return s.labels;
}

/** The built-in postprocessing steps. `rotate-and-retry` is carried out by the segmentation task. */
export const POSTPROCESS_STEPS: PostprocessRegistry = Object.freeze({
  softmax: (s) => ({ ...s, scores: softmaxChannels(s.scores, s.channels) }),
  sigmoid: (s) => ({ ...s, scores: sigmoidInPlace(s.scores) }),
  argmax: (s) => ({ ...s, labels: argmaxChannels(s.scores, s.channels) }),
  threshold: (s, spec) => {
    if (s.channels !== 1)
      throw new NodeError('INFERENCE_FAILED', `threshold needs a single-channel output, has ${s.channels}`);
    return { ...s, labels: thresholdMask(s.scores, spec.threshold) };
  },
  'median-filter': (s, spec) => ({
    ...s,
    labels: medianFilterLabels(needLabels(s, 'median-filter'), s.depth, s.height, s.width, spec.size),
  }),
  'largest-component': (s) => ({
    ...s,
    labels: largestComponentPerLabel(needLabels(s, 'largest-component'), s.depth, s.height, s.width),
  }),
  'rotate-and-retry': (s) => s,
});

/** Applies the manifest's postprocessing steps in order. */
export function postprocess(
  s: OutputState,
  steps: readonly PostprocessStepSpec[],
  registry: PostprocessRegistry = POSTPROCESS_STEPS,
): OutputState {
  let cur = s;
  for (const st of steps) cur = (registry[st.step] as PostprocessStep<typeof st.step>)(cur, st as never);
  return cur;
}
