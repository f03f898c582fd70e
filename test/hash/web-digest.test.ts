import { describe, expect, it } from 'vitest';
import { payloadHashBase64, verifyPayloadHash } from '../../src/hash/payload-hash.js';
import { failsHash } from '../../src/hash/web-digest.js';
import type { JsonValue } from '../../src/util/json.js';
import { readFixture } from '../fixtures.js';

interface VectorFile {
  vectors: Array<{ name: string; payload: JsonValue; sha256: string }>;
}

// The client's check (WebCrypto) gives the synchronous verifyPayloadHash's verdicts.
describe('failsHash (WebCrypto payload_hash check)', () => {
  it('passes every captured vector in both wire forms, with surrounding whitespace and upper-case hex', async () => {
    for (const file of ['khala_payload_hash_vectors.v1.json', 'spacetime_payload_hash_vectors.v1.json']) {
      for (const v of readFixture<VectorFile>(file).vectors) {
        expect(await failsHash(v.payload, v.sha256), v.name).toBe(false);
        expect(await failsHash(v.payload, ` ${v.sha256.toUpperCase().replace('SHA256:', 'sha256:')}\n`), v.name).toBe(false);
        expect(await failsHash(v.payload, payloadHashBase64(v.payload)), v.name).toBe(false);
      }
    }
  });

  it('fails another body; a hash in neither form is not a failure; a payload with no canonical form fails any hash', async () => {
    const running = 'QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=';
    expect(await failsHash({ status: 'running' }, running)).toBe(false);
    expect(await failsHash({ status: 'done' }, running)).toBe(true);
    expect(await failsHash({ status: 'done' }, `sha256:${'0'.repeat(64)}`)).toBe(true);
    expect(await failsHash({ status: 'done' }, 'sha256:deadbeef')).toBe(false);
    // Same bytes once decoded (the last digit's spare bits set), but not the digest's encoding.
    const spareBits = `${running.slice(0, 42)}1=`;
    expect(await failsHash({ status: 'running' }, spareBits)).toBe(true);
    expect(verifyPayloadHash({ status: 'running' }, spareBits)).toBe('mismatch');
    const infinite = JSON.parse('{"x":1e400}') as JsonValue;
    expect(await failsHash(infinite, running)).toBe(true);
    expect(await failsHash(infinite, 'junk')).toBe(false);
  });
});
