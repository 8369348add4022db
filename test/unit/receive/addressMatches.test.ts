import { addressMatches } from '../../../src/receive';

describe('addressMatches', () => {
  test.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['::ffff:10.1.2.3', '10.0.0.0/8', true],
    ['192.168.1.20', '192.168.1.20', true],
    ['192.168.1.21', '192.168.1.20', false],
    ['fd00::1', 'fd00::/8', true],
    ['fe80::1', 'fd00::/8', false],
    ['::1', '::1', true],
    ['10.0.0.1', 'not-an-ip', false],
    ['10.0.0.1', '10.0.0.0/99', false],
    ['garbage', '10.0.0.0/8', false],
  ])('%s in %s → %s', (address, host, expected) => {
    expect(addressMatches(address, host)).toBe(expected);
  });
});
