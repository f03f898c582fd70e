import { describe, expect, it } from 'vitest';
import { BACKOFF_CAP_MS, defaultReconnectDelay } from '../../src/client/backoff.js';

describe('defaultReconnectDelay (full jitter, 250 ms → 8 s)', () => {
  it('draws uniformly below an exponential ceiling capped at 8 s', () => {
    const top = (attempt: number) => defaultReconnectDelay(attempt, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 12, 40].map(top)).toEqual([249, 499, 999, 1999, 3999, 7999, 7999, 7999, 7999]);
    expect(defaultReconnectDelay(3, () => 0)).toBe(0);
    expect(defaultReconnectDelay(0, () => 0.5)).toBe(125); // attempt < 1 is treated as the first
  });

  it('spreads a fleet: 1000 clients at attempt 6 are not bunched', () => {
    const delays = Array.from({ length: 1000 }, () => defaultReconnectDelay(6));
    expect(Math.max(...delays)).toBeLessThan(BACKOFF_CAP_MS);
    const buckets = new Array(8).fill(0);
    for (const d of delays) buckets[Math.floor(d / 1000)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(60); // ~125 each when uniform
  });
});
