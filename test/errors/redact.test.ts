import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/errors/redact.js';

// The generic credential scrub runs on every server string that reaches an error (messages, quoted
// fields, a pushed error's whole payload): it must stay linear in the text, whatever the text.

/** The JWT rule as first written: one regex, rescanning a run from every `eyJ` in it. */
const JWT_REFERENCE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

describe('redact', () => {
  it('redacts JWTs, bearer values and token parameters', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(redact(`bad token ${jwt} at ws://h/s?token=abc&x=1 (Bearer q.w-e)`)).toBe('bad token [redacted-jwt] at ws://h/s?token=[redacted]&x=1 (Bearer [redacted])');
    expect(redact(`x-${jwt}.more`)).toBe('x-[redacted-jwt].more');
  });

  it('finds the JWTs the one-regex rule found, on strings built from its own pieces', () => {
    const piece = fc.constantFrom('eyJ', 'e', 'y', 'J', 'a', 'b', '-', '_', '.', ' ', 'eyJab', 'cdefg.');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(redact(text)).toBe(text.replace(JWT_REFERENCE, '[redacted-jwt]'));
      }),
      { numRuns: 5000, seed: 11 },
    );
  });

  for (const [name, text] of [
    ['1 MB of "-eyJ" (each a JWT start that fails)', '-eyJ'.repeat(256 * 1024)],
    ['1 MB of ".eyJ"', '.eyJ'.repeat(256 * 1024)],
    ['a 16 MB run after one "eyJ"', `eyJ${'a'.repeat(16 * 1024 * 1024)}`],
    ['16 MB of one JWT-shaped run with a 16 MB last segment', `eyJaaaaa.bbbbb.${'c'.repeat(16 * 1024 * 1024)}`],
  ] as const) {
    it(`${name}: done in well under a second, nothing thrown`, () => {
      const t0 = performance.now();
      const out = redact(text);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(out.length).toBeGreaterThan(0);
    });
  }
});
