import type { NaturalDataset } from '../../dicom/dcmjs';
import { str } from '../../dicom/datasetValues';
import type { ClinicalInputSpec } from '../manifest/modelManifestSchema';

/** Turns an attribute's text into the number the model takes, or null when it cannot. */
export type ClinicalEncoder = (text: string) => number | null;

/** PS3.5 6.2 Age String "nnnD|W|M|Y" → years; a bare number is years. */
function ageYears(text: string): number | null {
  // Tolerant when reading: a bare number (some modalities omit the unit) is read as years.
  if (/^\d{1,3}$/.test(text.trim())) return Number(text.trim());
  const m = /^(\d{3})([DWMY])$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const perYear: Record<string, number> = { D: 365.25, W: 365.25 / 7, M: 12, Y: 1 };
  return n / perYear[m[2]];
}

/** The built-in encodings (docs/models.md, `input.clinical`). */
export const CLINICAL_ENCODERS: Readonly<Record<ClinicalInputSpec['encoding'], ClinicalEncoder>> =
  Object.freeze({
    'age-years': ageYears,
    'sex-male': (t: string) => (t === 'M' ? 1 : t === 'F' ? 0 : null),
    number: (t: string) => {
      const n = Number(t);
      return t.trim() !== '' && Number.isFinite(n) ? n : null;
    },
  });

/**
 * The clinical input vector from a header, or the reason it cannot be built (then the series is
 * out of scope for the model).
 */
export function encodeClinical(
  header: NaturalDataset,
  specs: readonly ClinicalInputSpec[],
): { values: number[] } | { reason: string } {
  const values: number[] = [];
  for (const s of specs) {
    const text = str(header, s.attribute);
    if (text === null) return { reason: `${s.attribute} is missing` };
    const v = CLINICAL_ENCODERS[s.encoding](text);
    if (v === null) return { reason: `${s.attribute} value is not usable as ${s.encoding}` };
    values.push(v);
  }
  return { values };
}
