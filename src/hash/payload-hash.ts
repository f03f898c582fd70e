import type { JsonValue } from '../util/json.js';
import { canonicalJson } from './canonical-json.js';
import { base64ToBytes, bytesToBase64, bytesToHex } from './encoding.js';
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

const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const SHA256_TEXT = /^sha256:[0-9a-fA-F]{64}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// `bytesToBase64(digest) === b64` without building the string: verification runs once per applied
// update, and building then comparing the 44-character string cost more than the canonical JSON
// (bench profile, docs/benchmarks.md). Same answer for a 32-byte digest and a 44-character hash.
function base64Matches(digest: Uint8Array, b64: string): boolean {
  for (let i = 0, o = 0; i < 30; i += 3, o += 4) {
    const n = (digest[i]! << 16) | (digest[i + 1]! << 8) | digest[i + 2]!;
    if (
      b64.charCodeAt(o) !== ALPHABET.charCodeAt((n >> 18) & 63) ||
      b64.charCodeAt(o + 1) !== ALPHABET.charCodeAt((n >> 12) & 63) ||
      b64.charCodeAt(o + 2) !== ALPHABET.charCodeAt((n >> 6) & 63) ||
      b64.charCodeAt(o + 3) !== ALPHABET.charCodeAt(n & 63)
    ) {
      return false;
    }
  }
  // Bytes 30 and 31 make the last quad: three characters and one '=' (the regex checked the '=').
  const n = (digest[30]! << 16) | (digest[31]! << 8);
  return b64.charCodeAt(40) === ALPHABET.charCodeAt((n >> 18) & 63) && b64.charCodeAt(41) === ALPHABET.charCodeAt((n >> 12) & 63) && b64.charCodeAt(42) === ALPHABET.charCodeAt((n >> 6) & 63);
}

/**
 * Check `payload` against a hash in either encoding (base64 of the digest, or `sha256:<hex>`).
 * Returns `'match'`, `'mismatch'` (also for a payload holding a non-finite number, which has no
 * canonical JSON), or `'unknown_format'` when the hash is in neither form (which the caller does not
 * treat as corruption). Never throws.
 */
export function verifyPayloadHash(payload: JsonValue, hash: string): 'match' | 'mismatch' | 'unknown_format' {
  const h = hash.trim();
  let text: string | undefined;
  try {
    text = canonicalJson(payload);
  } catch {
    // A number literal out of double range (`1e400`) parses to Infinity, which has no canonical
    // form: no hash can match it. Untrusted input must not throw out of the apply path.
    text = undefined;
  }
  // The K1 wire form, checked once per applied update or snapshot document: where the runtime
  // writes the base64 itself one string comparison decides, and a hash equal to it needs no format
  // check (the two regexes were ~2% of a snapshot page's handling, docs/benchmarks.md).
  const native = text === undefined || h.length !== 44 ? undefined : nativeSha256Base64(text);
  if (native !== undefined && native === h) return 'match';
  const base64 = BASE64_HASH.test(h);
  if (!base64 && !SHA256_TEXT.test(h)) return 'unknown_format';
  if (text === undefined) return 'mismatch';
  // A base64 hash is 44 characters, so `native` is only missing here where the runtime has none.
  if (base64) return native === undefined && base64Matches(sha256Utf8(text), h) ? 'match' : 'mismatch';
  return `sha256:${bytesToHex(nativeSha256Bytes(text) ?? sha256Utf8(text))}` === h.toLowerCase() ? 'match' : 'mismatch';
}

/** A hash as a comparable key: lowercase hex of the digest for either wire form, else the trimmed text. */
function digestKey(hash: string): string {
  const h = hash.trim();
  if (SHA256_TEXT.test(h)) return h.slice(7).toLowerCase();
  const bytes = BASE64_HASH.test(h) ? base64ToBytes(h) : undefined;
  return bytes === undefined ? h : bytesToHex(bytes);
}

/**
 * Whether two `payload_hash` strings name the same digest (SPEC.md A13). Equal strings decide at
 * once (the common case: both copies of an update carry the same text); otherwise the base64 and
 * `sha256:<hex>` forms of one digest are equal. Text in neither form is compared trimmed.
 */
export function samePayloadHash(a: string, b: string): boolean {
  return a === b || digestKey(a) === digestKey(b);
}
