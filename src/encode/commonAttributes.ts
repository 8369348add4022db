import { str, type NaturalDataset } from '../dicom';
import type { InferenceResult } from '../pipeline/types';
import { clip, dicomDate, dicomTime } from './dicomValues';
import { DEFAULT_SERIES_NUMBER_BASE, type EncodeContext } from './encodeContext';
import type { ResultObjectType } from './resultUids';
import { normalizeDateTimes } from './normalizeDateTimes';
import type { SourceInstance } from './sourceInstances';

/** Patient module attributes copied verbatim (PS3.3 C.7.1.1); Type 2 ones are always present. */
const PATIENT_TYPE2 = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex'] as const;
const PATIENT_OPTIONAL = ['IssuerOfPatientID', 'PatientIdentityRemoved', 'DeidentificationMethod'] as const;
/** General Study module (PS3.3 C.7.2.1). */
const STUDY_TYPE2 = [
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
] as const;
const STUDY_OPTIONAL = ['StudyDescription'] as const;
/** Patient Study module (PS3.3 C.7.2.2), copied when the value is valid for its VR. */
const PATIENT_STUDY_NUMERIC = ['PatientSize', 'PatientWeight'] as const;

/**
 * Patient, General Study and Patient Study attributes of the source, copied verbatim so every
 * object lands in the same study (RESULTS.md 3.4; dcentvfy checks the consistency). An absent
 * Type 2 attribute is written empty. SpecificCharacterSet is copied so copied text keeps its meaning.
 */
export function patientStudyAttributes(source: SourceInstance): NaturalDataset {
  const src = source.dataset;
  const out: NaturalDataset = {};
  if (src.SpecificCharacterSet !== undefined) out.SpecificCharacterSet = src.SpecificCharacterSet;
  for (const k of PATIENT_TYPE2) out[k] = src[k] ?? '';
  for (const k of PATIENT_OPTIONAL) if (src[k] !== undefined) out[k] = src[k];
  out.StudyInstanceUID = src.StudyInstanceUID;
  for (const k of STUDY_TYPE2) out[k] = src[k] ?? '';
  for (const k of STUDY_OPTIONAL) if (src[k] !== undefined) out[k] = src[k];
  const age = str(src, 'PatientAge');
  if (age && /^\d{3}[DWMY]$/.test(age)) out.PatientAge = age; // AS must be nnnX (PS3.5 6.2)
  for (const k of PATIENT_STUDY_NUMERIC) if (src[k] !== undefined && src[k] !== '') out[k] = src[k];
  return normalizeDateTimes(out);
}

/**
 * Series attributes describing the source anatomy, copied when present (General Series, PS3.3
 * C.7.3.1). `emptyLateralityWhenUnknown`: write an empty Laterality when the source has neither
 * Laterality nor BodyPartExamined (dciodvfy then wants it for SC; for SEG it must stay absent).
 */
export function anatomyAttributes(
  source: SourceInstance,
  emptyLateralityWhenUnknown = false,
): NaturalDataset {
  const out: NaturalDataset = {};
  // Laterality 2C: copy when present, else absent (RESULTS.md 3.0 — dciodvfy rules).
  const bodyPart = str(source.dataset, 'BodyPartExamined');
  if (bodyPart) out.BodyPartExamined = bodyPart;
  const own = str(source.dataset, 'Laterality');
  if (own) out.Laterality = own;
  if (!emptyLateralityWhenUnknown || own) return out;
  // Classic IODs (SC): the image's laterality moves to the series, else empty when the part may be paired
  const image = str(source.dataset, 'ImageLaterality');
  if (image === 'L' || image === 'R') out.Laterality = image;
  else if (!bodyPart || PAIRED_BODY_PARTS.has(bodyPart)) out.Laterality = '';
  return out;
}

/** Body Part Examined values of paired structures (PS3.16 Annex L, "paired" column), where Laterality applies. */
export const PAIRED_BODY_PARTS: ReadonlySet<string> = new Set([
  'BREAST',
  'EYE',
  'EAR',
  'KIDNEY',
  'LUNG',
  'SHOULDER',
  'ELBOW',
  'WRIST',
  'HAND',
  'FINGER',
  'THUMB',
  'HIP',
  'KNEE',
  'ANKLE',
  'FOOT',
  'TOE',
  'HEEL',
  'ARM',
  'FOREARM',
  'UPRARM',
  'LEG',
  'LOWER LEG',
  'UPR LEG',
  'THIGH',
  'CLAVICLE',
  'SCAPULA',
  'HUMERUS',
  'RADIUS',
  'ULNA',
  'FEMUR',
  'TIBIA',
  'FIBULA',
  'PATELLA',
  'CALCANEUS',
  'EXTREMITY',
  'TMJ',
  'OVARY',
  'TESTIS',
  'ADRENAL',
  'PAROTID',
]);

const SERIES_OFFSET: Readonly<Record<ResultObjectType, number>> = Object.freeze({
  SR: 0,
  SEG: 1,
  SC: 2,
  DERIVED: 3,
});

/** SeriesNumber in the reserved range: base + offset per object type. */
export function seriesNumber(ctx: EncodeContext, type: ResultObjectType): number {
  return (ctx.seriesNumberBase ?? DEFAULT_SERIES_NUMBER_BASE) + SERIES_OFFSET[type];
}

/** SeriesDescription naming the model and marking the series as an AI result (LO, 64 characters). */
export function seriesDescription(result: InferenceResult, what: string): string {
  return clip(`AI RESULT: ${result.modelName} ${result.modelVersion} ${what}`, 64);
}

/** General Equipment (PS3.3 C.7.5.1), which also satisfies Enhanced General Equipment (C.7.5.2). */
export function equipmentAttributes(result: InferenceResult, ctx: EncodeContext): NaturalDataset {
  const out: NaturalDataset = {
    Manufacturer: clip(ctx.manufacturer, 64),
    ManufacturerModelName: clip(ctx.deviceObserverName, 64),
    DeviceSerialNumber: clip(ctx.deviceObserverUid, 64),
    SoftwareVersions: [clip(ctx.softwareVersion, 64), clip(`${result.modelId} ${result.modelVersion}`, 64)],
  };
  if (ctx.institutionName) out.InstitutionName = clip(ctx.institutionName, 64);
  return out;
}

/** InstanceCreationDate/Time and ContentDate/Time from the injected clock. */
export function timestampAttributes(ctx: EncodeContext): NaturalDataset {
  const date = dicomDate(ctx.now);
  const time = dicomTime(ctx.now);
  return { InstanceCreationDate: date, InstanceCreationTime: time, ContentDate: date, ContentTime: time };
}
