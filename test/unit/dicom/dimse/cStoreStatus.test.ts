import { classifyCStoreStatus, formatStatus } from '../../../../src/dicom/dimse';

// PS3.7 C.4.2.1.5 and Annex C; PS3.4 B.2.3.
const TABLE: Array<[number, 'success' | 'warning' | 'failure', boolean]> = [
  [0x0000, 'success', false],
  [0xb000, 'warning', false],
  [0xb007, 'warning', false],
  [0xb006, 'warning', false],
  [0xa700, 'failure', true],
  [0xa7ff, 'failure', true],
  [0xa900, 'failure', false],
  [0xa9ff, 'failure', false],
  [0xc000, 'failure', false],
  [0xcfff, 'failure', false],
  [0x0122, 'failure', false],
  [0x0124, 'failure', false],
  [0x0211, 'failure', false],
  [0x0213, 'failure', true],
  [0x0110, 'failure', true],
  [0x1234, 'failure', true],
];

describe('classifyCStoreStatus', () => {
  test.each(TABLE)('0x%s', (status, statusClass, retryable) => {
    const info = classifyCStoreStatus(status);
    expect(info.statusClass).toBe(statusClass);
    expect(info.retryable).toBe(retryable);
    expect(info.meaning.length).toBeGreaterThan(0);
  });

  test('meanings name the standard categories', () => {
    expect(classifyCStoreStatus(0xa701).meaning).toMatch(/out of resources/);
    expect(classifyCStoreStatus(0xa950).meaning).toMatch(/does not match SOP class/);
    expect(classifyCStoreStatus(0xc123).meaning).toMatch(/cannot understand/);
    expect(classifyCStoreStatus(0x0122).meaning).toMatch(/SOP class not supported/);
  });

  test('formatStatus gives four hex digits', () => {
    expect(formatStatus(0xa700)).toBe('A700');
    expect(formatStatus(0x122)).toBe('0122');
  });
});
