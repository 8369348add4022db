import { deriveUid, generateUid, isValidUid } from '../../../src/dicom/uid';

describe('UIDs', () => {
  it('derives the same valid UID from the same parts, and different ones otherwise', () => {
    const a = deriveUid('1.2.3', 'brain-gwm', '1.0.0', 'rules-v1', 'SR');
    expect(a).toBe(deriveUid('1.2.3', 'brain-gwm', '1.0.0', 'rules-v1', 'SR'));
    expect(a).not.toBe(deriveUid('1.2.3', 'brain-gwm', '1.0.0', 'rules-v1', 'SEG'));
    expect(a).not.toBe(deriveUid('1.2.3', 'brain-gwm', '1.0.1', 'rules-v1', 'SR'));
    expect(isValidUid(a)).toBe(true);
    expect(a.startsWith('2.25.')).toBe(true);
  });

  it('generates valid random UIDs', () => {
    const u = generateUid();
    expect(isValidUid(u)).toBe(true);
    expect(u).not.toBe(generateUid());
  });

  it.each([
    ['1.2.840.10008.1.2', true],
    ['1.02.3', false],
    ['1..2', false],
    ['1.2.', false],
    ['1.2.a', false],
    ['../../etc/passwd', false],
    ['1.' + '2'.repeat(70), false],
  ])('isValidUid(%s) = %p', (uid, ok) => {
    expect(isValidUid(uid)).toBe(ok);
  });
});
