import { FakeClock } from '../../../src/pipeline/clock';

describe('FakeClock', () => {
  it('fires timers in due order while advancing, and not before', () => {
    const c = new FakeClock(0);
    const fired: string[] = [];
    c.setTimer(300, () => fired.push('b'));
    c.setTimer(100, () => {
      fired.push('a');
      c.setTimer(100, () => fired.push('a2'));
    });
    const cancelled = c.setTimer(150, () => fired.push('never'));
    cancelled.cancel();
    c.advance(99);
    expect(fired).toEqual([]);
    c.advance(300);
    expect(fired).toEqual(['a', 'a2', 'b']);
    expect(c.now()).toBe(399);
    expect(c.pending()).toBe(0);
  });
});
