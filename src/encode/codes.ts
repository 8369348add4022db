import type { Code } from '../pipeline/types';

/**
 * Coded concepts used by the writers (PS3.16 Annex D DICOM codes, SNOMED CT, LOINC, UCUM).
 * Values and meanings as in PS3.16 and RESULTS.md 2.2; the retired SRT designator is never used.
 */
function code(value: string, scheme: string, meaning: string): Code {
  return Object.freeze({ value, scheme, meaning });
}

/** The fixed concepts of TID 1500 and its sub-templates, SEG and SC references, by role. */
export const Codes = Object.freeze({
  // PS3.16 TID 1500 root, TID 1600 Image Library, TID 1501/1411 groups
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  englishUs: code('en-US', 'RFC5646', 'English (United States)'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  modality: code('121139', 'DCM', 'Modality'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  findingSite: code('363698007', 'SCT', 'Finding Site'),
  sourceOfMeasurement: code('121112', 'DCM', 'Source of Measurement'),
  referencedSegment: code('121191', 'DCM', 'Referenced Segment'),
  sourceSeriesForSegmentation: code('121232', 'DCM', 'Source series for segmentation'),
  certaintyOfFinding: code('111012', 'DCM', 'Certainty of Finding'),
  present: code('52101004', 'SCT', 'Present'),
  absent: code('272519000', 'SCT', 'Absent'),
  // PS3.16 TID 1002/1004 Observer Context (device)
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  // PS3.16 TID 4019 Algorithm Identification
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  algorithmParameters: code('111002', 'DCM', 'Algorithm Parameters'),
  algorithmFamily: code('111000', 'DCM', 'Algorithm Family'),
  artificialIntelligence: code('123110', 'DCM', 'Artificial Intelligence'),
  // PS3.16 CID 7203 Image Derivation, CID 7202 Purpose of Reference
  segmentation: code('113076', 'DCM', 'Segmentation'),
  sourceImageForProcessing: code('121322', 'DCM', 'Source image for image processing operation'),
  // PS3.16 CID 100 Quantitative Diagnostic Imaging Procedures
  imagingProcedure: code('363679005', 'SCT', 'Imaging procedure'),
  ctUnspecified: code('25045-6', 'LN', 'CT unspecified body region'),
  mriUnspecified: code('25056-3', 'LN', 'MRI unspecified body region'),
});

/** UCUM percent, for Certainty of Finding (PS3.16 CID 6048 context, RESULTS.md 2.3 option A). */
export const PERCENT = Object.freeze({ code: '%', meaning: 'Percent' });

/** PS3.16 CID 29 Acquisition Modality meanings for the Image Library Modality descriptor. */
const MODALITY_MEANINGS: Readonly<Record<string, string>> = Object.freeze({
  CR: 'Computed Radiography',
  CT: 'Computed Tomography',
  DX: 'Digital Radiography',
  MG: 'Mammography',
  MR: 'Magnetic Resonance',
  NM: 'Nuclear Medicine',
  PT: 'Positron emission tomography',
  US: 'Ultrasound',
  XA: 'X-Ray Angiography',
  RF: 'Radio Fluoroscopy',
  IO: 'Intra-oral Radiography',
  PX: 'Panoramic X-Ray',
});

/** The CID 29 code of a modality, or null when the modality is not an acquisition modality listed there. */
export function modalityCode(modality: string): Code | null {
  const meaning = MODALITY_MEANINGS[modality];
  return meaning ? code(modality, 'DCM', meaning) : null;
}

/** Procedure reported (TID 1500 row 4) from CID 100 for the source modality. */
export function procedureReportedFor(modality: string): Code {
  if (modality === 'CT') return Codes.ctUnspecified;
  if (modality === 'MR') return Codes.mriUnspecified;
  return Codes.imagingProcedure;
}

/** A Code Sequence Macro item (PS3.3 8.8): CodeValue up to 16 characters, LongCodeValue beyond. */
export function codeSequenceItem(c: Code): Record<string, string> {
  if (c.value.length > 16) {
    return { LongCodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning };
  }
  return { CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning };
}
