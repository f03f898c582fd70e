import type { JsonValue } from '../util/json.js';
import { canonicalJson } from './canonical-json.js';
import { bytesToBase64, bytesToHex } from './encoding.js';
import { digestMatches, hashTarget, nativeDigestMatches } from './hash-target.js';
import { nativeSha256Base64, nativeSha256Bytes } from './native-sha256.js';
import { sha256Utf8 } from './sha256.js';

/** The 32 raw SHA-256 bytes of the canonical JSON of `payload`. */
export function payloadDigest(payload: JsonValue): Uint8Array {
  // The runtime's SHA-256 where there is a synchronous one (Node), else our own sha256Utf8: a
  // generic library's per-call setup was the top item of the replay profile (see sha256.ts).
  const text = canonicalJson(payload);
  return nativeSha256Bytes(text) ?? sha256Utf8(text);
}

/** K1 wire form: standard padded base64 of the raw digest (`QJRDpu5a...=`). */
export function payloadHashBase64(payload: JsonValue): string {
  return sha256Base64(canonicalJson(payload));
}

/** Standard padded base64 of the SHA-256 of `text`'s UTF-8 bytes (the runtime's digest where there is a synchronous one). */
export function sha256Base64(text: string): string {
  return nativeSha256Base64(text) ?? bytesToBase64(sha256Utf8(text));
}

/** Text form used by vectors and the Spacetime lane: `sha256:<64 lowercase hex>`. */
export function payloadHashText(payload: JsonValue): string {
  return `sha256:${bytesToHex(payloadDigest(payload))}`;
}

/**
 * Check `payload` against a hash in either encoding (base64 of the digest, or `sha256:<hex>`).
 * Returns `'match'`, `'mismatch'` (also for a payload holding a non-finite number, which has no
 * canonical JSON), or `'unknown_format'` when the hash is in neither form (which the caller does not
 * treat as corruption). Never throws. Synchronous, for Node tools; the client uses WebCrypto
 * (web-digest.ts).
 */
export function verifyPayloadHash(payload: JsonValue, hash: string): 'match' | 'mismatch' | 'unknown_format' {
  const t = hashTarget(payload, hash);
  if (t === undefined) return 'unknown_format';
  return t.text !== undefined && (nativeDigestMatches(t.text, t.h) ?? digestMatches(sha256Utf8(t.text), t.h)) ? 'match' : 'mismatch';
}
