import { CStoreStatus, cStoreStatusFor } from '../../../src/receive';
import { DatasetInvalidError, OutOfResourcesError } from '../../../src/pipeline/errors';

describe('cStoreStatusFor (PS3.4 B.2.3)', () => {
  test('typed errors map to their statuses, comments fit LO', () => {
    expect(cStoreStatusFor(new OutOfResourcesError('disk full')).status).toBe(0xa700);
    const invalid = cStoreStatusFor(new DatasetInvalidError(`x${'y'.repeat(200)}\\z`));
    expect(invalid.status).toBe(CStoreStatus.CannotUnderstand);
    expect(invalid.errorComment.length).toBeLessThanOrEqual(64);
    expect(invalid.errorComment).not.toContain('\\');
    expect(cStoreStatusFor(new Error('boom')).status).toBe(0x0110);
  });
});
