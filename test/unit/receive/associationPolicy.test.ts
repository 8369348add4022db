import { evaluateAssociationRequest, type AssociationPolicy } from '../../../src/receive';

const policy: AssociationPolicy = {
  aeTitles: ['PACSAI', 'ALIAS'],
  allowedPeers: [
    { aeTitle: 'CT1', host: '10.0.0.0/8' },
    { aeTitle: 'MR1', host: '192.168.1.20' },
    { aeTitle: 'ANYWHERE' },
  ],
  maxAssociations: 2,
};
const rq = (calling: string, called = 'PACSAI', peerAddress = '10.1.2.3', activeAssociations = 0) => ({
  callingAeTitle: calling,
  calledAeTitle: called,
  peerAddress,
  activeAssociations,
});

describe('evaluateAssociationRequest (PS3.8 9.3.4)', () => {
  test('accepts an allowed peer on our title or an alias', () => {
    expect(evaluateAssociationRequest(rq('CT1'), policy)).toBeNull();
    expect(evaluateAssociationRequest(rq('CT1', 'ALIAS'), policy)).toBeNull();
    expect(evaluateAssociationRequest(rq('MR1', 'PACSAI', '::ffff:192.168.1.20'), policy)).toBeNull();
    expect(evaluateAssociationRequest(rq('ANYWHERE', 'PACSAI', '203.0.113.9'), policy)).toBeNull();
  });

  test('wrong called AE: permanent, service-user, reason 7', () => {
    expect(evaluateAssociationRequest(rq('CT1', 'OTHER'), policy)).toMatchObject({
      result: 1,
      source: 1,
      reason: 7,
      reasonName: 'called-ae-title-not-recognized',
    });
  });

  test('unknown calling AE or wrong address: permanent, service-user, reason 3', () => {
    expect(evaluateAssociationRequest(rq('STRANGER'), policy)).toMatchObject({
      result: 1,
      source: 1,
      reason: 3,
    });
    const r = evaluateAssociationRequest(rq('CT1', 'PACSAI', '11.0.0.1'), policy);
    expect(r).toMatchObject({ reason: 3, reasonName: 'calling-ae-title-not-recognized' });
    expect(r?.detail).toContain('11.0.0.1');
  });

  test('an empty allow-list accepts any calling AE', () => {
    expect(
      evaluateAssociationRequest(rq('WHOEVER', 'PACSAI', '1.2.3.4'), { ...policy, allowedPeers: [] }),
    ).toBeNull();
  });

  test('too many associations: transient, service-provider (presentation), local-limit-exceeded', () => {
    expect(evaluateAssociationRequest(rq('CT1', 'PACSAI', '10.0.0.1', 2), policy)).toMatchObject({
      result: 2,
      source: 3,
      reason: 2,
      reasonName: 'local-limit-exceeded',
    });
  });
});
