import { describe, expect, it } from 'vitest';
import { ErrorPairing, errorIdentity } from '../../../src/adapters/khala/error-pairing.js';

const A = { code: 'slow_consumer', action: 'throttle', topic: 't' };
const B = { code: 'stale_cursor', stale_topics: [{ topic: 't' }] };

describe('ErrorPairing', () => {
  it('delivers the first of a pair and drops its twin, in either order', () => {
    const p = new ErrorPairing();
    expect([p.admit('event', A), p.admit('frame', A)]).toEqual([true, false]);
    expect([p.admit('frame', B), p.admit('event', B)]).toEqual([true, false]);
  });

  it('keeps genuine repeats: two pairs give two deliveries', () => {
    const p = new ErrorPairing();
    const out = [p.admit('event', A), p.admit('frame', A), p.admit('event', A), p.admit('frame', A)];
    expect(out).toEqual([true, false, true, false]);
  });

  it('keeps back-to-back repeats on both streams as two', () => {
    const p = new ErrorPairing();
    const out = [p.admit('event', A), p.admit('event', A), p.admit('frame', A), p.admit('frame', A)];
    expect(out.filter(Boolean)).toHaveLength(2);
  });

  it('delivers every error when only one stream exists', () => {
    const p = new ErrorPairing();
    expect([p.admit('frame', A), p.admit('frame', A), p.admit('frame', B)]).toEqual([true, true, true]);
  });

  it('identifies errors by canonical JSON, not key order', () => {
    expect(errorIdentity({ a: 1, b: { c: 2, d: 3 } })).toBe(errorIdentity({ b: { d: 3, c: 2 }, a: 1 }));
    const p = new ErrorPairing();
    expect([p.admit('event', { x: 1, y: 2 }), p.admit('frame', { y: 2, x: 1 })]).toEqual([true, false]);
  });

  it('bounds unpaired memory and forgets everything on reset', () => {
    const p = new ErrorPairing(2);
    p.admit('event', { n: 1 });
    p.admit('event', { n: 2 });
    p.admit('event', { n: 3 }); // evicts n:1
    expect(p.admit('frame', { n: 1 })).toBe(true);
    expect(p.admit('frame', { n: 3 })).toBe(false);
    p.reset();
    expect(p.admit('frame', { n: 2 })).toBe(true);
  });

  it('remembers a digest per unpaired error, not the error: 32 errors of 1 MiB on one stream hold under 2 KiB', () => {
    const p = new ErrorPairing();
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 32; i++) expect(p.admit('event', { code: 'internal', i, message: big })).toBe(true);
    const held = (p as unknown as { pending: Record<string, string[]> }).pending;
    expect(held['event']!.reduce((n, key) => n + key.length, 0)).toBeLessThan(2048);
    expect(p.admit('frame', { message: big, i: 31, code: 'internal' })).toBe(false); // still pairs
  });

  it('gives non-finite numbers a stable identity instead of throwing', () => {
    expect(() => errorIdentity({ code: 'x', n: Infinity })).not.toThrow();
  });
});
