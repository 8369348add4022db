import { encapsulatedFrames } from '../../../../src/dicom/pixels/encapsulatedFrames';
import { j2kCodestream, readJpegFrameHeader } from '../../../../src/dicom/pixels/jpegMarkers';

const buf = (bytes: number[]): ArrayBuffer => new Uint8Array(bytes).buffer;
const SOI = [0xff, 0xd8, 0xff, 0xe0];

describe('encapsulatedFrames (PS3.5 A.4)', () => {
  it('concatenates all fragments of a single frame', () => {
    const frames = encapsulatedFrames([buf([1, 2]), buf([3]), buf([4, 5])], 1, {});
    expect(frames.map((f) => Array.from(f))).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('takes one fragment per frame when the counts agree', () => {
    expect(encapsulatedFrames([buf([1]), buf([2])], 2, {}).map((f) => Array.from(f))).toEqual([[1], [2]]);
  });

  it('groups fragments by JPEG start-of-image markers without an offset table', () => {
    const frames = encapsulatedFrames([buf([...SOI, 1]), buf([2, 3]), buf([...SOI, 4]), buf([5])], 2, {});
    expect(frames.map((f) => Array.from(f))).toEqual([
      [...SOI, 1, 2, 3],
      [...SOI, 4, 5],
    ]);
  });

  it('uses the Extended Offset Table (positions include the 8-byte item headers)', () => {
    const eot = new BigUint64Array([0n, 8n + 2n + 8n + 1n]).buffer;
    const frames = encapsulatedFrames([buf([1, 1]), buf([2]), buf([3, 3, 3])], 2, {
      ExtendedOffsetTable: eot,
    });
    expect(frames.map((f) => Array.from(f))).toEqual([
      [1, 1, 2],
      [3, 3, 3],
    ]);
  });

  it('fails with a typed error when fragments cannot be assigned to frames', () => {
    expect(() => encapsulatedFrames([buf([1]), buf([2]), buf([3])], 2, {})).toThrow(
      /cannot split 3 fragments into 2 frames/,
    );
  });
});

describe('JPEG and JPEG 2000 markers', () => {
  it('reads the SOF of a JPEG codestream after APPn segments', () => {
    const jpeg = new Uint8Array([
      ...SOI,
      0x00,
      0x04,
      0,
      0,
      0xff,
      0xc3,
      0x00,
      0x0b,
      16,
      0x01,
      0x00,
      0x02,
      0x00,
      1,
      1,
      0x11,
      0,
    ]);
    expect(readJpegFrameHeader(jpeg)).toMatchObject({
      sof: 0xc3,
      precision: 16,
      rows: 256,
      columns: 512,
      components: 1,
    });
  });

  it('reads JFIF/Adobe markers, component ids and the point transform of the first scan', () => {
    const jpeg = new Uint8Array([
      ...[0xff, 0xd8],
      ...[0xff, 0xe0, 0x00, 0x07, 0x4a, 0x46, 0x49, 0x46, 0x00], // APP0 JFIF
      ...[0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 1], // APP14 Adobe, transform 1
      ...[0xff, 0xc3, 0x00, 0x11, 12, 0, 4, 0, 4, 3, 0x52, 0x11, 0, 0x47, 0x11, 0, 0x42, 0x11, 0], // SOF3, ids R G B
      ...[0xff, 0xda, 0x00, 0x0c, 3, 0x52, 0, 0x47, 0, 0x42, 0, 1, 0, 0x02], // SOS: Ss=1, Se=0, Al=2
    ]);
    expect(readJpegFrameHeader(jpeg)).toEqual({
      sof: 0xc3,
      precision: 12,
      rows: 4,
      columns: 4,
      components: 3,
      componentIds: [0x52, 0x47, 0x42],
      jfif: true,
      adobeTransform: 1,
      pointTransform: 2,
    });
  });

  it('unwraps a JP2 file to its jp2c codestream and closes a codestream with a stray trailing marker', () => {
    // SOC, SIZ(len 4, dummy), SOT with Psot 16 (SOT 12 + SOD 2 + data 2), 2 bytes of tile data, then a COM marker instead of EOC
    const cs = [
      0xff, 0x4f, 0xff, 0x51, 0x00, 0x04, 0, 0, 0xff, 0x90, 0x00, 0x0a, 0, 0, 0, 0, 0, 16, 0, 1, 0xff, 0x93,
      0xaa, 0xbb,
    ];
    const withCom = [...cs, 0xff, 0x64, 0x00, 0x04, 0x41, 0x41, 0xff, 0xd9];
    const box = (type: string, body: number[]): number[] => {
      const n = 8 + body.length;
      return [
        n >>> 24,
        (n >> 16) & 255,
        (n >> 8) & 255,
        n & 255,
        ...[...type].map((c) => c.charCodeAt(0)),
        ...body,
      ];
    };
    const jp2 = new Uint8Array([...box('jP  ', [0x0d, 0x0a, 0x87, 0x0a]), ...box('jp2c', withCom)]);
    expect(Array.from(j2kCodestream(jp2))).toEqual([...cs, 0xff, 0xd9]);
    const clean = new Uint8Array([...cs, 0xff, 0xd9]);
    expect(j2kCodestream(clean)).toBe(clean);
  });
});
