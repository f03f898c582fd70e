// The native SHA-256 path (src/hash/native-sha256.ts) must give exactly the pure-JS answers: the
// browser keeps sha256.ts, Node uses crypto.hash, and both verify the same wire hashes.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../src/hash/encoding.js';
import { nativeSha256Base64, nativeSha256Bytes, useNativeSha256 } from '../../src/hash/native-sha256.js';
import { payloadDigest, payloadHashBase64, payloadHashText, verifyPayloadHash } from '../../src/hash/payload-hash.js';
import { sha256Utf8 } from '../../src/hash/sha256.js';
import type { JsonValue } from '../../src/util/json.js';

afterEach(() => {
  useNativeSha256(true);
});

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom('', '\uD800', 'a\uDC00b', '\uDBFF\uDFFF', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'é'.repeat(1000)),
);

describe('native SHA-256', () => {
  it('is on in this Node (crypto.hash through process.getBuiltinModule)', () => {
    expect(nativeSha256Base64('abc')).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
  });

  it('matches the pure-JS digest for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(text, (s) => {
        const js = sha256Utf8(s);
        expect(nativeSha256Base64(s)).toBe(bytesToBase64(js));
        expect([...nativeSha256Bytes(s)!]).toEqual([...js]);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same payload hashes and verdicts with and without the native path', () => {
    const payload = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(payload, fc.string({ maxLength: 50 }), (p, junk) => {
        const wrong = payloadHashBase64({ other: p });
        const withNative = [payloadHashBase64(p), payloadHashText(p), [...payloadDigest(p)], verifyPayloadHash(p, payloadHashBase64(p)), verifyPayloadHash(p, wrong), verifyPayloadHash(p, junk)];
        expect(useNativeSha256(false)).toBe(false);
        const withoutNative = [payloadHashBase64(p), payloadHashText(p), [...payloadDigest(p)], verifyPayloadHash(p, withNative[0] as string), verifyPayloadHash(p, wrong), verifyPayloadHash(p, junk)];
        useNativeSha256(true);
        expect(withoutNative).toEqual(withNative);
        expect(withNative[3]).toBe('match');
        expect(withNative[4]).toBe('mismatch');
      }),
      { numRuns: 300 },
    );
  });

  it('is absent without process.getBuiltinModule (a browser), and the JS path answers', () => {
    const proc = globalThis.process as unknown as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    try {
      proc.getBuiltinModule = undefined;
      expect(useNativeSha256(true)).toBe(false);
      expect(nativeSha256Base64('abc')).toBeUndefined();
      expect(payloadHashBase64({ status: 'running' })).toBe('QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=');
    } finally {
      proc.getBuiltinModule = saved;
    }
  });
});
