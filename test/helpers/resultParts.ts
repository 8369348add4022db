import type { Code, LabelVolume, Measurement, SeriesInstanceRef } from '../../src/pipeline/types';

/** The SNOMED CT concepts that the synthetic results of the encode tests share. */
export const SCT = {
  volume: { value: '118565006', scheme: 'SCT', meaning: 'Volume' },
  morphologicallyAbnormalStructure: {
    value: '49755003',
    scheme: 'SCT',
    meaning: 'Morphologically Abnormal Structure',
  },
  anatomicalStructure: { value: '91723000', scheme: 'SCT', meaning: 'Anatomical Structure' },
  brain: { value: '12738006', scheme: 'SCT', meaning: 'Brain' },
} satisfies Record<string, Code>;

/** A volume measurement (SCT 118565006) in millilitres, optionally of a segment and at a finding site. */
export function volumeMeasurement(
  name: string,
  value: number,
  of: Pick<Measurement, 'segmentNumber' | 'findingSite'> = {},
): Measurement {
  return { name, code: SCT.volume, value, unit: { code: 'ml', meaning: 'milliliter' }, ...of };
}

/** The label volume frames of single-frame sources: frame 1 of each instance, in order. */
export function firstFrames(refs: SeriesInstanceRef[]): LabelVolume['frames'] {
  return refs.map((r) => ({ sopInstanceUid: r.sopInstanceUid, frameNumber: 1 }));
}
