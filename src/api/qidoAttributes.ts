/**
 * The attributes the DICOMweb index keeps per instance and QIDO-RS returns by default, per level
 * (PS3.18 10.6.3.3, Tables 10.6.3-3 to 10.6.3-5), as DICOM JSON tags.
 */
export const STUDY_TAGS = [
  '00080005', // SpecificCharacterSet
  '00080020', // StudyDate
  '00080030', // StudyTime
  '00080050', // AccessionNumber
  '00080090', // ReferringPhysicianName
  '00080201', // TimezoneOffsetFromUTC
  '00081030', // StudyDescription
  '00100010', // PatientName
  '00100020', // PatientID
  '00100021', // IssuerOfPatientID
  '00100030', // PatientBirthDate
  '00100040', // PatientSex
  '00101010', // PatientAge
  '0020000D', // StudyInstanceUID
  '00200010', // StudyID
] as const;

export const SERIES_TAGS = [
  '00080021', // SeriesDate
  '00080031', // SeriesTime
  '00080060', // Modality
  '00080070', // Manufacturer
  '0008103E', // SeriesDescription
  '00081090', // ManufacturerModelName
  '00180015', // BodyPartExamined
  '0020000E', // SeriesInstanceUID
  '00200011', // SeriesNumber
  '00400244', // PerformedProcedureStepStartDate
  '00400245', // PerformedProcedureStepStartTime
] as const;

export const INSTANCE_TAGS = [
  '00080008', // ImageType
  '00080016', // SOPClassUID
  '00080018', // SOPInstanceUID
  '00080023', // ContentDate
  '00080033', // ContentTime
  '00200013', // InstanceNumber
  '00280008', // NumberOfFrames
  '00280010', // Rows
  '00280011', // Columns
  '00280100', // BitsAllocated
] as const;

/** Every tag the index stores. */
export const INDEXED_TAGS: ReadonlySet<string> = new Set<string>([
  ...STUDY_TAGS,
  ...SERIES_TAGS,
  ...INSTANCE_TAGS,
]);

/** Computed by the node, not read from headers. */
export const TAG = {
  InstanceAvailability: '00080056',
  ModalitiesInStudy: '00080061',
  RetrieveURL: '00081190',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  Modality: '00080060',
  PatientName: '00100010',
} as const;
