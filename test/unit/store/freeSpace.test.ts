import { FakeClock } from '../../../src/pipeline/clock';
import { OutOfResourcesError } from '../../../src/pipeline/errors';
import { FreeSpaceGuard } from '../../../src/store/freeSpace';

const MIB = 1024 * 1024;

describe('FreeSpaceGuard', () => {
  function guard(free: () => number, o: { maxAgeMs?: number; maxBytes?: number; nearMb?: number } = {}) {
    const clock = new FakeClock();
    const calls: number[] = [];
    const g = new FreeSpaceGuard({
      dir: '/data',
      minFreeMb: 100,
      clock,
      maxAgeMs: o.maxAgeMs ?? 1000,
      maxBytesBetweenChecks: o.maxBytes ?? 50 * MIB,
      nearMb: o.nearMb ?? 200,
      statfs: async () => {
        calls.push(clock.now());
        return free();
      },
    });
    return { g, clock, calls };
  }

  test('one statfs serves the checks of the next maxAgeMs (injected clock)', async () => {
    const { g, clock, calls } = guard(() => 10_000 * MIB);
    await g.check();
    await g.check();
    clock.advance(999);
    await g.check();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await g.check();
    expect(calls).toHaveLength(2);
  });

  test('statfs again after maxBytesBetweenChecks were written', async () => {
    const { g, calls } = guard(() => 10_000 * MIB);
    await g.check();
    g.written(49 * MIB);
    await g.check();
    expect(calls).toHaveLength(1);
    g.written(1 * MIB);
    await g.check();
    expect(calls).toHaveLength(2);
  });

  test('near the watermark every check asks the file system', async () => {
    let free = 250 * MIB; // 150 MiB above the watermark, inside nearMb (200)
    const { g, calls } = guard(() => free);
    await g.check();
    await g.check();
    expect(calls).toHaveLength(2);
    free = 90 * MIB;
    await expect(g.check()).rejects.toBeInstanceOf(OutOfResourcesError);
    await expect(g.check()).rejects.toBeInstanceOf(OutOfResourcesError);
    expect(calls).toHaveLength(4);
  });

  test('bytes written since the last statfs count toward the watermark', async () => {
    const { g, calls } = guard(() => 400 * MIB, { maxBytes: 1024 * MIB });
    await g.check();
    await g.check();
    expect(calls).toHaveLength(1); // 400 - 0 >= 100 + 200
    g.written(150 * MIB); // 250 left by the count: near the watermark
    await g.check();
    expect(calls).toHaveLength(2);
  });

  test('minFreeMb 0 disables the check', async () => {
    const clock = new FakeClock();
    const statfs = jest.fn(async () => 0);
    const g = new FreeSpaceGuard({ dir: '/data', minFreeMb: 0, clock, statfs });
    await g.check();
    expect(statfs).not.toHaveBeenCalled();
  });
});
