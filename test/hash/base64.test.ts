import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, strictBase64ToBytes } from '../../src/hash/encoding.js';

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('base64ToBytes (native fast path, text of 64+ characters)', () => {
  it('accepts and decodes exactly what the strict decoder does, on near-base64 text', () => {
    // Mostly digits, with the characters a lax native decoder skips or reads differently.
    const char = fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...DIGITS) }, fc.constantFrom('=', '-', '_', ' ', '\n', '.', 'é', 'Ā', '\u0000'));
    fc.assert(
      fc.property(fc.array(char, { minLength: 64, maxLength: 140 }), (chars) => {
        const text = chars.join('');
        const got = base64ToBytes(text);
        const want = strictBase64ToBytes(text);
        expect(got === undefined ? undefined : [...got]).toEqual(want === undefined ? undefined : [...want]);
      }),
      { numRuns: 20000 },
    );
  });

  it('round-trips bytes, with and without padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 200 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect([...base64ToBytes(text)!]).toEqual([...bytes]);
        expect([...base64ToBytes(text.replace(/=+$/, ''))!]).toEqual([...bytes]);
      }),
    );
  });
});
