import fs from 'node:fs';
import { dcmjs, type NaturalDataset } from '../../src/dicom/dcmjs';

/** Explicit VR Little Endian (PS3.5 A.2): the transfer syntax of the synthetic files unless a test says otherwise. */
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

/** What part10Bytes puts in the File Meta Information beside the data set's own UIDs, and how dcmjs writes. */
export interface Part10Options {
  /** (0002,0010); Explicit VR Little Endian unless given. */
  transferSyntaxUid?: string;
  /** (0002,0012); 2.25.1 unless given. */
  implementationClassUid?: string;
  /** Passed to dcmjs DicomDict.write (e.g. `{ fragmentMultiframe: false }`). */
  writeOptions?: Record<string, unknown>;
}

/**
 * The Part 10 bytes of a naturalized data set, written with dcmjs: preamble, DICM, a File Meta
 * Information (PS3.10 7.1) whose Media Storage SOP Class/Instance UIDs are the data set's, then the data set.
 */
export function part10Bytes(dataset: NaturalDataset, o: Part10Options = {}): Buffer {
  const { DicomMetaDictionary, DicomDict } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: o.transferSyntaxUid ?? EXPLICIT_VR_LE,
    ImplementationClassUID: o.implementationClassUid ?? '2.25.1',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write(o.writeOptions) as ArrayBuffer);
}

/** Writes part10Bytes(dataset, o) to `file`. */
export function writePart10(file: string, dataset: NaturalDataset, o: Part10Options = {}): void {
  fs.writeFileSync(file, part10Bytes(dataset, o));
}

/** The data set bytes of a Part 10 buffer: what follows the File Meta Information, i.e. what a C-STORE carries. */
export function datasetOf(part10: Buffer): Buffer {
  // (0002,0000) UL group length is the first element after the preamble and DICM.
  return part10.subarray(128 + 4 + 12 + part10.readUInt32LE(128 + 4 + 8));
}
