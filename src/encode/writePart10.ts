import fs from 'node:fs/promises';
import path from 'node:path';
import {
  dcmjs,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  TransferSyntax,
  type NaturalDataset,
} from '../dicom';
import { NodeError } from '../pipeline/errors';

/**
 * Serializes a naturalized dataset as a Part 10 file in Explicit VR Little Endian (PS3.10 7.1)
 * with dcmjs' denaturalize + DicomDict.write (RESULTS.md 5.1), written to a temp name, then
 * renamed to `<SOPInstanceUID>.dcm` in `outputDir`. Returns the final path.
 */
export async function writePart10(dataset: NaturalDataset, outputDir: string): Promise<string> {
  const sopClassUid = String(dataset.SOPClassUID ?? '');
  const sopInstanceUid = String(dataset.SOPInstanceUID ?? '');
  if (!sopClassUid || !sopInstanceUid)
    throw new NodeError('ENCODE_INVALID', 'dataset without SOP Class/Instance UID');
  const bytes = toPart10(dataset);
  await fs.mkdir(outputDir, { recursive: true });
  const finalPath = path.join(outputDir, `${sopInstanceUid}.dcm`);
  const tmpPath = `${finalPath}.${process.pid}.tmp`;
  await fs.writeFile(tmpPath, bytes);
  await fs.rename(tmpPath, finalPath);
  return finalPath;
}

/** The Part 10 bytes of a naturalized dataset (file meta group built here). */
export function toPart10(dataset: NaturalDataset): Buffer {
  const { DicomMetaDictionary, DicomDict } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: TransferSyntax.ExplicitVRLittleEndian,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write() as ArrayBuffer);
}
