import { num, str } from '../dicom/datasetValues';
import type { DicomHeader } from '../dicom/readDicomHeader';
import { isValidUid } from '../dicom/uid';
import { DatasetInvalidError } from '../pipeline/errors';
import type { InstanceFacts } from '../pipeline/types';

export type { InstanceFacts };

/** What the transfer said the instance is (the C-STORE command, or nothing for STOW-RS). */
export interface HeaderExpectation {
  sopInstanceUid?: string;
  sopClassUid?: string;
  transferSyntaxUid?: string;
}

function requireUid(value: string | null, keyword: string, tag: string): string {
  if (!value) throw new DatasetInvalidError(`${keyword} ${tag} is missing`);
  if (!isValidUid(value)) throw new DatasetInvalidError(`${keyword} ${tag} is not a valid UID (PS3.5 9.1)`);
  return value;
}

/**
 * Checks a received header and extracts the facts the index keeps (strict on the identifiers
 * the node files by, tolerant on the rest). Throws DatasetInvalidError: the SCP answers with a
 * 0xC000-family status (PS3.4 B.2.3 Error: Cannot understand).
 */
export function validateHeader(header: DicomHeader, expected: HeaderExpectation = {}): InstanceFacts {
  const ds = header.dataset;
  const sopInstanceUid = str(ds, 'SOPInstanceUID');
  if (!sopInstanceUid) throw new DatasetInvalidError('SOPInstanceUID (0008,0018) is missing');
  if (expected.sopInstanceUid !== undefined && sopInstanceUid !== expected.sopInstanceUid.trim()) {
    throw new DatasetInvalidError(
      'SOPInstanceUID (0008,0018) differs from the Affected SOP Instance UID of the C-STORE request (PS3.4 B.2.1.1)',
    );
  }
  const metaInstance = header.mediaStorageSopInstanceUid;
  if (expected.sopInstanceUid === undefined && metaInstance && metaInstance !== sopInstanceUid) {
    throw new DatasetInvalidError(
      'MediaStorageSOPInstanceUID (0002,0003) differs from SOPInstanceUID (0008,0018)',
    );
  }
  const studyInstanceUid = requireUid(str(ds, 'StudyInstanceUID'), 'StudyInstanceUID', '(0020,000D)');
  const seriesInstanceUid = requireUid(str(ds, 'SeriesInstanceUID'), 'SeriesInstanceUID', '(0020,000E)');
  const sopClassUid =
    expected.sopClassUid?.trim() || header.mediaStorageSopClassUid || str(ds, 'SOPClassUID');
  if (!sopClassUid) throw new DatasetInvalidError('SOPClassUID (0008,0016) is missing');
  const transferSyntaxUid = expected.transferSyntaxUid?.trim() || header.transferSyntaxUid;
  if (!transferSyntaxUid) throw new DatasetInvalidError('TransferSyntaxUID (0002,0010) is missing');
  const inAcquisition = num(ds, 'ImagesInAcquisition');
  const frames = num(ds, 'NumberOfFrames');
  const instanceNumber = num(ds, 'InstanceNumber');
  return {
    sopInstanceUid,
    sopClassUid,
    transferSyntaxUid,
    studyInstanceUid,
    seriesInstanceUid,
    modality: str(ds, 'Modality') ?? '',
    instanceNumber: instanceNumber !== null && Number.isInteger(instanceNumber) ? instanceNumber : null,
    expectedCount:
      inAcquisition !== null && Number.isInteger(inAcquisition) && inAcquisition > 0 ? inAcquisition : null,
    numberOfFrames: frames !== null && Number.isInteger(frames) && frames > 0 ? frames : 1,
  };
}
