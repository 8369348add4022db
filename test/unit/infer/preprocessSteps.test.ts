import { PREPROCESS_STEPS, preprocess } from '../../../src/infer/preprocess/preprocessSteps';
import type { Work } from '../../../src/infer/preprocess/work';
import type { ModelManifest } from '../../../src/infer/manifest/modelManifestSchema';
import { encodeClinical } from '../../../src/infer/engine/clinicalInputs';

const work = (
  values: number[],
  header: Record<string, unknown> = {},
  photometricInterpretation = 'MONOCHROME2',
): Work => ({
  data: Float32Array.from(values),
  channels: 1,
  depth: 1,
  height: 1,
  width: values.length,
  spacingMm: [1, 1, 1],
  photometricInterpretation,
  header,
  frameIndex: 0,
  modalityLutApplied: false,
});
const ctx = { manifest: {} as ModelManifest };

describe('preprocessing steps', () => {
  it('modality LUT applies Rescale Slope / Intercept once', () => {
    const w = preprocess(
      work([0, 10], { RescaleSlope: 2, RescaleIntercept: -1024 }),
      [{ step: 'modality-lut' }, { step: 'modality-lut' }],
      ctx,
    );
    expect(Array.from(w.data)).toEqual([-1024, -1004]);
  });

  it('invert flips MONOCHROME1 only, unless told always', () => {
    expect(
      Array.from(preprocess(work([0, 1, 4]), [{ step: 'invert', when: 'MONOCHROME1' }], ctx).data),
    ).toEqual([0, 1, 4]);
    expect(
      Array.from(
        preprocess(work([0, 1, 4], {}, 'MONOCHROME1'), [{ step: 'invert', when: 'MONOCHROME1' }], ctx).data,
      ),
    ).toEqual([4, 3, 0]);
    expect(Array.from(preprocess(work([0, 1, 4]), [{ step: 'invert', when: 'always' }], ctx).data)).toEqual([
      4, 3, 0,
    ]);
  });

  it('window maps linearly to [0, 1] (PS3.3 C.11.2.1.2.1), from the step or the header', () => {
    // c = 40.5, w = 81: below 0 → 0, above 80 → 1, x → x / 80.
    const w = PREPROCESS_STEPS.window(
      work([-10, 0, 40, 80, 200]),
      { step: 'window', center: 40.5, width: 81 },
      ctx,
    );
    expect(Array.from(w.data)).toEqual([0, 0, 0.5, 1, 1]);
    const h = PREPROCESS_STEPS.window(
      work([0, 40, 80], { WindowCenter: 40.5, WindowWidth: 81 }),
      { step: 'window' },
      ctx,
    );
    expect(Array.from(h.data)).toEqual([0, 0.5, 1]);
  });

  it('normalises by min-max, z-score and a fixed range', () => {
    expect(
      Array.from(
        PREPROCESS_STEPS.normalize(
          work([2, 4, 6]),
          { step: 'normalize', method: 'min-max', to: [0, 1], clip: true },
          ctx,
        ).data,
      ),
    ).toEqual([0, 0.5, 1]);
    expect(
      Array.from(
        PREPROCESS_STEPS.normalize(
          work([2, 4, 6]),
          { step: 'normalize', method: 'z-score', to: [0, 1], clip: true },
          ctx,
        ).data,
      ),
    ).toEqual([expect.closeTo(-Math.sqrt(1.5), 6), 0, expect.closeTo(Math.sqrt(1.5), 6)]);
    const f = PREPROCESS_STEPS.normalize(
      work([-100, 0, 50, 200]),
      { step: 'normalize', method: 'fixed-range', range: [0, 100], to: [0, 1], clip: true },
      ctx,
    );
    expect(Array.from(f.data)).toEqual([0, 0, 0.5, 1]);
  });

  it('repeats a channel and resizes with the spacing following', () => {
    const r = preprocess(work([1, 3]), [{ step: 'channel-repeat', channels: 3 }], ctx);
    expect([r.channels, Array.from(r.data)]).toEqual([3, [1, 3, 1, 3, 1, 3]]);
    const z = preprocess(work([1, 1, 3, 3]), [{ step: 'resize', rows: 1, columns: 2 }], ctx);
    expect([Array.from(z.data), z.spacingMm]).toEqual([
      [1, 3],
      [2, 1, 1],
    ]);
  });
});

describe('clinical inputs', () => {
  it('reads ages in days, weeks, months and years, and sex', () => {
    expect(
      encodeClinical({ PatientAge: '018M', PatientSex: 'F' }, [
        { attribute: 'PatientAge', encoding: 'age-years' },
        { attribute: 'PatientSex', encoding: 'sex-male' },
      ]),
    ).toEqual({ values: [1.5, 0] });
    expect(
      encodeClinical({ PatientAge: '052W' }, [{ attribute: 'PatientAge', encoding: 'age-years' }]),
    ).toEqual({ values: [52 / (365.25 / 7)] });
    expect(
      encodeClinical({ PatientAge: '45' }, [{ attribute: 'PatientAge', encoding: 'age-years' }]),
    ).toEqual({ values: [45] });
    expect(
      encodeClinical({ PatientAge: '45 years' }, [{ attribute: 'PatientAge', encoding: 'age-years' }]),
    ).toEqual({ reason: 'PatientAge value is not usable as age-years' });
    expect(
      encodeClinical({ PatientWeight: '72.5' }, [{ attribute: 'PatientWeight', encoding: 'number' }]),
    ).toEqual({ values: [72.5] });
  });
});
