/** Data elements written by hand, byte by byte, for tests that need exact or malformed encodings. */

/** One Explicit VR Little Endian element (PS3.5 7.1.2): 32-bit length for OB, OW, SQ, UN and UT, 16-bit otherwise. */
export function explicitVrElement(group: number, element: number, vr: string, value: Buffer): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(value.length, 8);
  else h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

/** One Implicit VR Little Endian element (PS3.5 7.1.3): tag and 32-bit length. */
export function implicitVrElement(group: number, element: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}

/** A command set (PS3.7 E.1): group 0000 elements in Implicit VR Little Endian, led by their group length. */
export function commandSet(elements: Array<[element: number, value: Buffer]>): Buffer {
  const body = Buffer.concat(elements.map(([element, value]) => implicitVrElement(0x0000, element, value)));
  return Buffer.concat([implicitVrElement(0x0000, 0x0000, ul(body.length)), body]);
}

/** A text value padded to even length (PS3.5 6.2: space, or `pad`). */
export const text = (s: string, pad = ' '): Buffer => Buffer.from(s.length % 2 ? s + pad : s, 'latin1');

/** A UI value, padded with NUL to even length (PS3.5 9.1). */
export const ui = (s: string): Buffer => text(s, '\0');

/** A US value (16-bit little endian). */
export function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** A UL value (32-bit little endian). */
export function ul(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
