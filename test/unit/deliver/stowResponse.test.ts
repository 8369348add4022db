import { classifyHttpStatus, interpretStowResponse } from '../../../src/deliver';

const ref = (uid: string, warning?: number) => ({
  '00081155': { vr: 'UI', Value: [uid] },
  ...(warning !== undefined ? { '00081196': { vr: 'US', Value: [warning] } } : {}),
});
const failed = (uid: string, reason: number) => ({
  '00081155': { vr: 'UI', Value: [uid] },
  '00081197': { vr: 'US', Value: [reason] },
});

describe('STOW-RS response (PS3.18 10.5.3)', () => {
  test('200: every instance stored', () => {
    const r = interpretStowResponse(200, { '00081199': { vr: 'SQ', Value: [ref('1.1'), ref('1.2')] } }, [
      '1.1',
      '1.2',
    ]);
    expect(r.map((x) => x.statusClass)).toEqual(['success', 'success']);
  });

  test('202: per-instance failure reasons and warnings', () => {
    const body = {
      '00081199': { vr: 'SQ', Value: [ref('1.1', 0xb000)] },
      '00081198': { vr: 'SQ', Value: [failed('1.2', 0xa700), failed('1.3', 0x0122), failed('1.4', 0xc000)] },
    };
    const r = interpretStowResponse(202, body, ['1.1', '1.2', '1.3', '1.4', '1.5']);
    expect(r[0]).toMatchObject({ statusClass: 'warning', status: 0xb000, retryable: false });
    expect(r[1]).toMatchObject({ statusClass: 'failure', status: 0xa700, retryable: true });
    expect(r[2]).toMatchObject({ statusClass: 'failure', status: 0x0122, retryable: false });
    expect(r[3]).toMatchObject({ statusClass: 'failure', status: 0xc000, retryable: false });
    expect(r[4]).toMatchObject({ statusClass: 'failure', status: 202, retryable: true });
    expect(r[4]!.message).toMatch(/not listed/);
  });

  test('409: all failed; a JSON array body is read too', () => {
    const r = interpretStowResponse(
      409,
      [{ '00081198': { vr: 'SQ', Value: [failed('1.1', 0xa900)] } }],
      ['1.1', '1.2'],
    );
    expect(r[0]).toMatchObject({ statusClass: 'failure', status: 0xa900, retryable: false });
    expect(r[1]).toMatchObject({ statusClass: 'failure', status: 409, retryable: false });
  });

  test.each([
    [401, false],
    [403, false],
    [404, false],
    [413, false],
    [429, true],
    [500, true],
    [503, true],
    [501, false],
  ])('HTTP %i without a body: failure, retryable %s', (status, retryable) => {
    const [r] = interpretStowResponse(status, null, ['1.1']);
    expect(r).toMatchObject({ statusClass: 'failure', status, retryable });
  });

  test('classifyHttpStatus table', () => {
    expect(classifyHttpStatus(200).statusClass).toBe('success');
    expect(classifyHttpStatus(204).statusClass).toBe('success');
    expect(classifyHttpStatus(302)).toMatchObject({ statusClass: 'failure', retryable: true });
  });
});
