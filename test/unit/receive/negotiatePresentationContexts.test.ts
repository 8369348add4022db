import { ContextResult, negotiatePresentationContexts } from '../../../src/receive';

describe('negotiatePresentationContexts (PS3.8 9.3.3.2)', () => {
  test('verification and every storage class are accepted with the sender’s syntax; others rejected', () => {
    const d = negotiatePresentationContexts([
      { id: 1, abstractSyntaxUid: '1.2.840.10008.1.1', transferSyntaxUids: ['1.2.840.10008.1.2'] },
      {
        id: 3,
        abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.4',
        transferSyntaxUids: ['1.2.840.10008.1.2', '1.2.840.10008.1.2.4.90'],
      },
      { id: 5, abstractSyntaxUid: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxUids: ['1.2.840.10008.1.2'] },
      { id: 7, abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUids: ['1.2.3.4.5.6'] },
      {
        id: 9,
        abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2',
        transferSyntaxUids: ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'],
      },
    ]);
    expect(d).toEqual([
      {
        id: 1,
        abstractSyntaxUid: '1.2.840.10008.1.1',
        result: ContextResult.Acceptance,
        transferSyntaxUid: '1.2.840.10008.1.2',
      },
      {
        id: 3,
        abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.4',
        result: 0,
        transferSyntaxUid: '1.2.840.10008.1.2.4.90',
      },
      {
        id: 5,
        abstractSyntaxUid: '1.2.840.10008.5.1.4.1.2.2.1',
        result: ContextResult.AbstractSyntaxNotSupported,
      },
      {
        id: 7,
        abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2',
        result: ContextResult.TransferSyntaxesNotSupported,
      },
      {
        id: 9,
        abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2',
        result: 0,
        transferSyntaxUid: '1.2.840.10008.1.2.1',
      },
    ]);
  });
});
