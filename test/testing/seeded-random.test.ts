import { describe, expect, it } from 'vitest';
import { seededRandom, pointRandom } from '../../src/testing/seeded-random.js';

describe('seeded random', () => {
  it('same seed, same stream; pointRandom is a pure function of its coordinates', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(50);
    expect(seededRandom(43).next()).not.toBe(seededRandom(42).next());
    expect(pointRandom(1, 2, 'drop')).toBe(pointRandom(1, 2, 'drop'));
    expect(pointRandom(1, 2, 'drop')).not.toBe(pointRandom(1, 3, 'drop'));
    const mean = Array.from({ length: 4000 }, (_, i) => pointRandom(9, i)).reduce((s, x) => s + x, 0) / 4000;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });
});
