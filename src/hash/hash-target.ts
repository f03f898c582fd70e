import type { JsonValue } from '../util/json.js';
import { canonicalJson } from './canonical-json.js';
import { base64ToBytes, bytesToHex } from './encoding.js';
import { nativeSha256Base64, nativeSha256Bytes } from './native-sha256.js';

// What checking a `payload_hash` needs besides the digest itself, shared by the synchronous check
// (payload-hash.ts, for Node tools) and the WebCrypto one the client uses (web-digest.ts).

const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const SHA256_TEXT = /^sha256:[0-9a-fA-F]{64}$/;

/**
 * The trimmed hash and the canonical JSON to digest, or undefined when the hash is in neither wire
 * form (base64 of the digest, `sha256:<hex>`). `text` is undefined for a payload with no canonical
 * form (a non-finite number such as JSON `1e400`): no hash can match it.
 */
export function hashTarget(payload: JsonValue, hash: string): { h: string; text: string | undefined } | undefined {
  const h = hash.trim();
  if (!BASE64_HASH.test(h) && !SHA256_TEXT.test(h)) return undefined;
  let text: string | undefined;
  try {
    text = canonicalJson(payload);
  } catch {
    // Untrusted input must not throw out of the apply path.
  }
  return { h, text };
}

/** Whether `digest` is the one `h` (a hash {@link hashTarget} accepted) names. */
export function digestMatches(digest: Uint8Array, h: string): boolean {
  // A base64 hash must also be the digest's own encoding: the two spare bits of its 43rd digit are
  // zero (the decoder ignores them, so the bytes alone would accept 4 spellings of one digest).
  return bytesToHex(digest) === digestKey(h) && (h.length !== 44 || 'AEIMQUYcgkosw048'.includes(h[42]!));
}

/**
 * Whether `text` hashes to `h` by the runtime's synchronous SHA-256 (native-sha256.ts), or undefined
 * without one. Node's base64 digest is canonical, so equal text is the whole check for a base64 hash
 * (the common wire form); converting both sides to hex cost more than the hash itself.
 */
export function nativeDigestMatches(text: string, h: string): boolean | undefined {
  const b64 = h.length === 44 ? nativeSha256Base64(text) : undefined;
  if (b64 !== undefined) return b64 === h;
  const bytes = nativeSha256Bytes(text);
  return bytes === undefined ? undefined : digestMatches(bytes, h);
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
