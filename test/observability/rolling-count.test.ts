import { describe, expect, it } from 'vitest';
import { RollingCount } from '../../src/observability/rolling-count.js';

const FIVE_MINUTES = 5 * 60_000;

describe('RollingCount (telemetry rolling_error_count_5m)', () => {
  it('200,000 events in one second and one every second for 10 minutes: at most one bucket per second of the window is held', () => {
    const c = new RollingCount(FIVE_MINUTES);
    const t0 = 1_796_000_000_000;
    let n = 0;
    for (let i = 0; i < 200_000; i++) n = c.add(t0 + (i % 1000));
    expect(n).toBe(200_000);
    expect(c.size).toBe(1);
    for (let s = 1; s <= 600; s++) n = c.add(t0 + s * 1000);
    expect(c.size).toBeLessThanOrEqual(301);
    expect(n).toBe(301); // the seconds t0+300 s … t0+600 s; the flood's second has left
  });

  it('counts the window: an event stays until its whole second is more than the window old', () => {
    const c = new RollingCount(FIVE_MINUTES);
    expect(c.add(0)).toBe(1);
    expect(c.add(1500)).toBe(2);
    expect(c.add(FIVE_MINUTES + 999)).toBe(3);
    expect(c.add(FIVE_MINUTES + 1000)).toBe(3); // second 0 left
    expect(c.add(FIVE_MINUTES + 2000)).toBe(3); // second 1 left
  });
});
