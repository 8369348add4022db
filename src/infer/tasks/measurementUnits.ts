import type { Code, Unit } from '../../pipeline/types';
import type { MeasurementSpec } from '../manifest/modelManifestSchema';

/** Default concept and UCUM unit of each measurement kind (PS3.16 CID 7470, CID 82). */
export const MEASUREMENT_KINDS: Readonly<
  Record<
    MeasurementSpec['kind'],
    { code: Code; unit: Unit; perVoxel: (s: [number, number, number]) => number }
  >
> = Object.freeze({
  volume: {
    code: { value: '118565006', scheme: 'SCT', meaning: 'Volume' },
    unit: { code: 'mL', meaning: 'milliliter' },
    perVoxel: (s: [number, number, number]) => (s[0] * s[1] * s[2]) / 1000,
  },
  area: {
    code: { value: '42798000', scheme: 'SCT', meaning: 'Area' },
    unit: { code: 'cm2', meaning: 'square centimeter' },
    perVoxel: (s: [number, number, number]) => (s[0] * s[1]) / 100,
  },
  'voxel-count': {
    code: { value: 'voxel-count', scheme: '99PACSAI', meaning: 'Voxel count' },
    unit: { code: '{voxels}', meaning: 'voxels' },
    perVoxel: () => 1,
  },
});

/** SEG Segmented Property Category used when a label gives none (CID 7150). */
export const ANATOMICAL_STRUCTURE: Code = {
  value: '91723000',
  scheme: 'SCT',
  meaning: 'Anatomical Structure',
};
