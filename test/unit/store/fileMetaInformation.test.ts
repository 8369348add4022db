import { parseDicomHeader } from '../../../src/dicom/readDicomHeader';
import { IMPLEMENTATION_CLASS_UID } from '../../../src/dicom/uid';
import { buildFileMetaInformation } from '../../../src/store';
import { datasetOf, syntheticPart10, CT_IMAGE_STORAGE, EXPLICIT_VR_LE } from './syntheticInstance';

describe('buildFileMetaInformation (PS3.10 7.1)', () => {
  test('preamble, DICM and a group 0002 that a reader understands', () => {
    const { bytes, dataset } = syntheticPart10();
    const meta = buildFileMetaInformation({
      mediaStorageSopClassUid: CT_IMAGE_STORAGE,
      mediaStorageSopInstanceUid: String(dataset.SOPInstanceUID),
      transferSyntaxUid: EXPLICIT_VR_LE,
      sourceApplicationEntityTitle: 'MODALITY',
    });
    expect(meta.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(meta.toString('latin1', 128, 132)).toBe('DICM');
    // (0002,0000) counts every byte of the group after itself.
    expect(meta.readUInt32LE(140)).toBe(meta.length - 144);
    const header = parseDicomHeader(Buffer.concat([meta, datasetOf(bytes)]));
    expect(header.transferSyntaxUid).toBe(EXPLICIT_VR_LE);
    expect(header.mediaStorageSopClassUid).toBe(CT_IMAGE_STORAGE);
    expect(header.mediaStorageSopInstanceUid).toBe(dataset.SOPInstanceUID);
    expect(header.dataset.SOPInstanceUID).toBe(dataset.SOPInstanceUID);
  });

  test('odd-length values are padded to even length; every element is well formed', () => {
    const meta = buildFileMetaInformation({
      mediaStorageSopClassUid: '1.2.3',
      mediaStorageSopInstanceUid: '1.2.34',
      transferSyntaxUid: '1.2.840.10008.1.2',
      sourceApplicationEntityTitle: 'ABC',
    });
    let pos = 132;
    const seen: string[] = [];
    while (pos < meta.length) {
      const element = meta.readUInt16LE(pos + 2);
      const vr = meta.toString('latin1', pos + 4, pos + 6);
      const long = vr === 'OB';
      const len = long ? meta.readUInt32LE(pos + 8) : meta.readUInt16LE(pos + 6);
      expect(len % 2).toBe(0);
      seen.push(`${element.toString(16).padStart(4, '0')} ${vr}`);
      pos += (long ? 12 : 8) + len;
    }
    expect(pos).toBe(meta.length);
    expect(seen).toEqual([
      '0000 UL',
      '0001 OB',
      '0002 UI',
      '0003 UI',
      '0010 UI',
      '0012 UI',
      '0013 SH',
      '0016 AE',
    ]);
    expect(meta.includes(Buffer.from(IMPLEMENTATION_CLASS_UID, 'latin1'))).toBe(true);
  });
});
