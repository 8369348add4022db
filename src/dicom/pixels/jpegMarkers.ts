/** What the headers of a JPEG or JPEG-LS codestream say (ISO 10918-1 B.2). */
export interface JpegFrameHeader {
  /** The SOF marker's low byte: 0xc0 baseline, 0xc1 extended, 0xc3 lossless, 0xf7 JPEG-LS. */
  sof: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
  /** Component identifiers of the frame header (1,2,3 or 'R','G','B' steer libjpeg's colour guess). */
  componentIds: number[];
  /** A JFIF APP0 segment is present (the components are YCbCr). */
  jfif: boolean;
  /** The Adobe APP14 transform flag (0: no colour transform, 1: YCbCr), null when absent. */
  adobeTransform: number | null;
  /** Al of the first scan header: the point transform of a lossless scan (H.1.2.1), 0 if none. */
  pointTransform: number;
}

/** Scans the markers of a JPEG codestream up to its first SOS; null when there is no SOFn. */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let p = 2;
  let header: JpegFrameHeader | null = null;
  let jfif = false;
  let adobeTransform: number | null = null;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) {
      p++;
      continue;
    }
    const marker = data[p + 1]!;
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      p += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = (data[p + 2]! << 8) | data[p + 3]!;
    const isSof =
      (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) ||
      marker === 0xf7;
    if (marker === 0xe0 && length >= 7 && String.fromCharCode(...data.subarray(p + 4, p + 8)) === 'JFIF')
      jfif = true;
    if (marker === 0xee && length >= 12 && String.fromCharCode(...data.subarray(p + 4, p + 9)) === 'Adobe') {
      adobeTransform = data[p + 15] ?? null;
    }
    if (isSof && !header && p + 10 <= data.length) {
      const components = data[p + 9]!;
      header = {
        sof: marker,
        precision: data[p + 4]!,
        rows: (data[p + 5]! << 8) | data[p + 6]!,
        columns: (data[p + 7]! << 8) | data[p + 8]!,
        components,
        componentIds: Array.from({ length: components }, (_, c) => data[p + 10 + 3 * c] ?? 0),
        jfif,
        adobeTransform,
        pointTransform: 0,
      };
    }
    if (marker === 0xda) {
      if (header) {
        // SOS: Ns, Ns x (Cs, Td/Ta), Ss, Se, Ah/Al (B.2.3)
        const ns = data[p + 4] ?? 0;
        header.pointTransform = (data[p + 4 + 1 + 2 * ns + 2] ?? 0) & 0x0f;
        header.jfif = jfif;
        header.adobeTransform = adobeTransform;
      }
      return header;
    }
    p += 2 + length;
  }
  return header;
}

/**
 * Returns the contiguous codestream of a JPEG 2000 frame: a JP2 file (ISO 15444-1 Annex I) is
 * unwrapped to its 'jp2c' box; a bare codestream is returned as is.
 */
export function j2kCodestream(data: Uint8Array): Uint8Array {
  const isJp2 =
    data.length >= 12 && data[4] === 0x6a && data[5] === 0x50 && data[6] === 0x20 && data[7] === 0x20;
  if (!isJp2) return repairTrailer(data);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  while (p + 8 <= data.length) {
    let length = dv.getUint32(p);
    const type = String.fromCharCode(data[p + 4]!, data[p + 5]!, data[p + 6]!, data[p + 7]!);
    let header = 8;
    if (length === 1 && p + 16 <= data.length) {
      length = Number(dv.getBigUint64(p + 8));
      header = 16;
    } else if (length === 0) {
      length = data.length - p;
    }
    if (type === 'jp2c') return repairTrailer(data.subarray(p + header, Math.min(data.length, p + length)));
    if (length < header) break;
    p += length;
  }
  return data;
}

/**
 * Some writers put markers (e.g. a COM padding segment) between the last tile-part and EOC,
 * which ISO 15444-1 A.3 does not allow and OpenJPEG rejects. When the tile-parts can be walked
 * by their Psot lengths and something other than SOT or EOC follows them, the codestream is cut
 * there and closed with EOC.
 */
function repairTrailer(cs: Uint8Array): Uint8Array {
  if (cs.length < 4 || cs[0] !== 0xff || cs[1] !== 0x4f) return cs;
  let p = 2;
  // main header: marker segments until the first SOT (0xFF90)
  while (p + 4 <= cs.length && !(cs[p] === 0xff && cs[p + 1] === 0x90)) {
    if (cs[p] !== 0xff) return cs;
    p += 2 + ((cs[p + 2]! << 8) | cs[p + 3]!);
  }
  while (p + 12 <= cs.length && cs[p] === 0xff && cs[p + 1] === 0x90) {
    const psot = ((cs[p + 6]! << 24) >>> 0) + ((cs[p + 7]! << 16) | (cs[p + 8]! << 8) | cs[p + 9]!);
    if (psot === 0) return cs;
    p += psot;
  }
  if (p + 2 > cs.length || (cs[p] === 0xff && cs[p + 1] === 0xd9)) return cs;
  if (p > cs.length) return cs;
  const out = new Uint8Array(p + 2);
  out.set(cs.subarray(0, p));
  out[p] = 0xff;
  out[p + 1] = 0xd9;
  return out;
}
