import fs from 'node:fs';
import path from 'node:path';
import { readDicomHeader } from '../../../src/dicom/readDicomHeader';
import { explicitVrElement as element, text, ui, ul } from '../../helpers/elementBytes';
import { tempDir } from '../../helpers/env';

/**
 * A Part 10 file whose data set has a 200 KB private OB value, then an attribute after it,
 * then Pixel Data (PS3.10 7.1 preamble, DICM, File Meta Information).
 */
function writeFileWithLargeValue(file: string): void {
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', ui('1.2.840.10008.5.1.4.1.1.7')),
    element(0x0002, 0x0003, 'UI', ui('2.25.11')),
    element(0x0002, 0x0010, 'UI', ui('1.2.840.10008.1.2.1')),
  ]);
  const dataset = Buffer.concat([
    element(0x0008, 0x0016, 'UI', ui('1.2.840.10008.5.1.4.1.1.7')),
    element(0x0008, 0x0018, 'UI', ui('2.25.11')),
    element(0x0008, 0x0060, 'CS', text('OT')),
    element(0x0020, 0x000d, 'UI', ui('2.25.12')),
    element(0x0020, 0x000e, 'UI', ui('2.25.13')),
    element(0x0029, 0x0010, 'LO', text('TEST PRIVATE')),
    element(0x0029, 0x1010, 'OB', Buffer.alloc(200_000, 7)),
    element(0x0040, 0x0254, 'LO', text('after the large value')),
    element(0x7fe0, 0x0010, 'OB', Buffer.from([1, 2, 3, 4])),
  ]);
  fs.writeFileSync(
    file,
    Buffer.concat([
      Buffer.alloc(128),
      Buffer.from('DICM', 'latin1'),
      element(0x0002, 0x0000, 'UL', ul(metaBody.length)),
      metaBody,
      dataset,
    ]),
  );
}

describe('readDicomHeader', () => {
  it('reads attributes that follow a value larger than its first read, not a value cut at the end of it', async () => {
    const file = path.join(tempDir(), 'large-value.dcm');
    writeFileWithLargeValue(file);
    const h = await readDicomHeader(file);
    expect(h.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(h.dataset.SeriesInstanceUID).toBe('2.25.13');
    expect(h.dataset.PerformedProcedureStepDescription).toBe('after the large value');
    // The pixel value itself is not read (includeUntilTagValue: false).
    expect(h.dataset.PixelData).not.toBeInstanceOf(ArrayBuffer);
  });
});
