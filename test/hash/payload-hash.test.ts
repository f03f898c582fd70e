import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, canonicalJson, payloadHashBase64, payloadHashText, utf8Decode, utf8Encode, verifyPayloadHash } from '../../src/hash/index.js';
import type { JsonValue } from '../../src/util/json.js';
import { readFixture } from '../fixtures.js';

interface VectorFile {
  version: string;
  vectors: Array<{ name: string; payload: JsonValue; canonical_json: string; sha256: string }>;
}

describe('payload hashing (KHALA_PROTOCOL §6) against the captured vectors', () => {
  for (const file of ['khala_payload_hash_vectors.v1.json', 'spacetime_payload_hash_vectors.v1.json']) {
    const vectors = readFixture<VectorFile>(file).vectors;
    it(`${file}: every vector's canonical JSON and sha256 match (${vectors.length} vectors)`, () => {
      expect(vectors.length).toBe(5);
      for (const v of vectors) {
        expect(canonicalJson(v.payload), v.name).toBe(v.canonical_json);
        expect(payloadHashText(v.payload), v.name).toBe(v.sha256);
        expect(verifyPayloadHash(v.payload, v.sha256)).toBe('match');
      }
    });
  }

  it('legacy_payload_hash_vectors: canonical JSON right everywhere; the string-escaping sha256 is the known-bad one (§14.6)', () => {
    const vectors = readFixture<VectorFile>('legacy_payload_hash_vectors.v1.json').vectors;
    const bad = vectors.filter((v) => payloadHashText(v.payload) !== v.sha256).map((v) => v.name);
    expect(bad).toEqual(['string-escaping']);
    for (const v of vectors) expect(canonicalJson(v.payload), v.name).toBe(v.canonical_json);
  });

  it('K1 wire form is base64 of the raw digest (§2.5 example)', () => {
    expect(payloadHashBase64({ status: 'running' })).toBe('QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=');
    expect(payloadHashText({ status: 'running' })).toBe('sha256:409443a6ee5aa296dccd6c0d193e214568daa0053b66155fba8adca995b7823d');
    expect(verifyPayloadHash({ status: 'running' }, 'QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=')).toBe('match');
    expect(verifyPayloadHash({ status: 'done' }, 'QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=')).toBe('mismatch');
    expect(verifyPayloadHash({ status: 'running' }, 'sha256:deadbeef')).toBe('unknown_format');
  });

  it('a payload with a non-finite number (JSON 1e400) has no canonical form: mismatch in both forms, never a throw', () => {
    const payload = JSON.parse('{"x":1e400}') as JsonValue;
    expect(verifyPayloadHash(payload, 'QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=')).toBe('mismatch');
    expect(verifyPayloadHash(payload, `sha256:${'0'.repeat(64)}`)).toBe('mismatch');
    expect(verifyPayloadHash(payload, 'junk')).toBe('unknown_format');
  });

  it('sorts keys by code point, not UTF-16 unit; writes -0 as 0; refuses non-finite numbers', () => {
    // U+1F600 (surrogates D83D..) must sort after U+FF5E even though D83D < FF5E as code units.
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF5E': 2, a: 3 })).toBe('{"a":3,"～":2,"😀":1}');
    expect(canonicalJson({ z: -0, y: [1, 'é', null, true] })).toBe('{"y":[1,"é",null,true],"z":0}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(RangeError);
  });

  it('base64 and UTF-8 helpers round-trip without Buffer and refuse bad input', () => {
    const text = 'é日本🙂 plain';
    expect(utf8Decode(base64ToBytes(bytesToBase64(utf8Encode(text)))!)).toBe(text);
    expect(bytesToBase64(utf8Encode(text))).toBe(Buffer.from(text, 'utf8').toString('base64'));
    expect(base64ToBytes('!!!')).toBeUndefined();
    expect(base64ToBytes('a')).toBeUndefined();
    expect(utf8Decode(new Uint8Array([0xc3, 0x28]))).toBeUndefined();
  });
});
