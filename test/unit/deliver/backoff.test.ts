import { backoffDelayMs } from '../../../src/deliver';

const policy = { initialBackoffSeconds: 5, maxBackoffSeconds: 60 };

describe('backoffDelayMs: exponential, capped, equal jitter', () => {
  test.each([
    [1, 5000],
    [2, 10000],
    [3, 20000],
    [4, 40000],
    [5, 60000],
    [30, 60000],
  ])('attempt %i: base %i ms, delay in [base/2, base]', (attempt, base) => {
    expect(backoffDelayMs(attempt, policy, () => 0)).toBe(base / 2);
    expect(backoffDelayMs(attempt, policy, () => 0.999999)).toBeLessThanOrEqual(base);
    expect(backoffDelayMs(attempt, policy, () => 0.999999)).toBeGreaterThan(base * 0.99);
    expect(backoffDelayMs(attempt, policy, () => 0.5)).toBe(base * 0.75);
  });

  test('bounds hold for many random draws and huge attempt numbers', () => {
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelayMs(1 + (i % 80), policy, Math.random);
      expect(d).toBeGreaterThanOrEqual(2500);
      expect(d).toBeLessThanOrEqual(60000);
    }
    expect(backoffDelayMs(10000, policy, () => 1)).toBe(60000);
  });
});
