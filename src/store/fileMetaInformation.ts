import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/uid';

/** What the File Meta Information of a received instance says (PS3.10 7.1). */
export interface FileMetaInput {
  /** (0002,0002) from the C-STORE command's Affected SOP Class UID. */
  mediaStorageSopClassUid: string;
  /** (0002,0003) from the C-STORE command's Affected SOP Instance UID. */
  mediaStorageSopInstanceUid: string;
  /** (0002,0010) the transfer syntax accepted for the presentation context. */
  transferSyntaxUid: string;
  /** (0002,0016) the calling AE title of the association. */
  sourceApplicationEntityTitle?: string;
}

/** PS3.10 7.1: 128-byte preamble (zeros here) followed by the "DICM" prefix. */
export const PREAMBLE_LENGTH = 128;

/** Explicit VR Little Endian element with a 16-bit length (PS3.5 7.1.2). */
function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** OB with the reserved 2 bytes and a 32-bit length (PS3.5 7.1.2). */
function longElement(element: number, vr: string, value: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt32LE(value.length, 8);
  return Buffer.concat([head, value]);
}

/** UI values are padded to even length with a NUL (PS3.5 6.2 UI). */
function ui(value: string): Buffer {
  const s = value.trim();
  return Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
}

/** SH and AE values are padded to even length with a space (PS3.5 6.2). */
function text(value: string): Buffer {
  const s = value.trim();
  return Buffer.from(s.length % 2 ? `${s} ` : s, 'latin1');
}

/**
 * The bytes that precede a received dataset in its Part 10 file: preamble, "DICM" and the File
 * Meta Information group (PS3.10 7.1), always Explicit VR Little Endian, with our Implementation
 * Class UID and Version Name (PS3.7 D.3.3.2).
 */
export function buildFileMetaInformation(input: FileMetaInput): Buffer {
  const elements = [
    longElement(0x0001, 'OB', Buffer.from([0x00, 0x01])),
    shortElement(0x0002, 'UI', ui(input.mediaStorageSopClassUid)),
    shortElement(0x0003, 'UI', ui(input.mediaStorageSopInstanceUid)),
    shortElement(0x0010, 'UI', ui(input.transferSyntaxUid)),
    shortElement(0x0012, 'UI', ui(IMPLEMENTATION_CLASS_UID)),
    shortElement(0x0013, 'SH', text(IMPLEMENTATION_VERSION_NAME)),
  ];
  const aet = input.sourceApplicationEntityTitle?.trim();
  if (aet) elements.push(shortElement(0x0016, 'AE', text(aet.slice(0, 16))));
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([
    Buffer.alloc(PREAMBLE_LENGTH),
    Buffer.from('DICM', 'latin1'),
    shortElement(0x0000, 'UL', groupLength),
    body,
  ]);
}
