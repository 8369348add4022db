import { SyncWritePolicy } from '../../../src/store/syncWritePolicy';

describe('SyncWritePolicy', () => {
  let t: number;
  let stalls: Array<[number, number]>;
  const policy = () =>
    new SyncWritePolicy({
      now: () => t,
      stallMs: 20,
      cooldownMs: 10_000,
      onStall: (ms, cooldown) => stalls.push([ms, cooldown]),
    });
  /** A write that takes `ms` of the injected clock. */
  const takes =
    <T>(ms: number, result: T) =>
    (): T => {
      t += ms;
      return result;
    };

  beforeEach(() => {
    t = 1_000;
    stalls = [];
  });

  test('writes run on the event loop while none is slower than the stall limit', () => {
    const p = policy();
    expect(p.useSync()).toBe(true);
    expect(p.timed(takes(20, 'written'))).toBe('written'); // at the limit: not a stall
    expect(p.timed(takes(0.05, 7))).toBe(7);
    expect(p.useSync()).toBe(true);
    expect(stalls).toEqual([]);
  });

  test('one slow write sends the writes to the thread pool for the cool-down, then back', () => {
    const p = policy();
    p.timed(takes(35, null));
    expect(stalls).toEqual([[35, 10_000]]);
    expect(p.useSync()).toBe(false);
    t += 9_999;
    expect(p.useSync()).toBe(false);
    t += 1;
    expect(p.useSync()).toBe(true);
    p.timed(takes(1, null));
    expect(p.useSync()).toBe(true);
    expect(stalls).toHaveLength(1);
  });

  test('a write that fails slowly counts as a stall, and its error passes through', () => {
    const p = policy();
    const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    expect(() =>
      p.timed(() => {
        t += 500;
        throw eio;
      }),
    ).toThrow(eio);
    expect(stalls).toEqual([[500, 10_000]]);
    expect(p.useSync()).toBe(false);
  });

  test('defaults: performance.now, 20 ms, 10 s', () => {
    const p = new SyncWritePolicy();
    expect(p.useSync()).toBe(true);
    expect(p.timed(() => 'quick')).toBe('quick');
    expect(p.useSync()).toBe(true);
  });
});
