import { sha256 } from '@noble/hashes/sha2';
import { utf8ToBytes } from '@noble/hashes/utils';
import type { JsonValue } from '../util/json.js';
import { canonicalJson } from './canonical-json.js';
import { bytesToBase64, bytesToHex } from './encoding.js';

/** The 32 raw SHA-256 bytes of the canonical JSON of `payload`. */
export function payloadDigest(payload: JsonValue): Uint8Array {
  return sha256(utf8ToBytes(canonicalJson(payload)));
}

/** K1 wire form: standard padded base64 of the raw digest (`QJRDpu5a...=`). */
export function payloadHashBase64(payload: JsonValue): string {
  return bytesToBase64(payloadDigest(payload));
}

/** Text form used by vectors and the Spacetime lane: `sha256:<64 lowercase hex>`. */
export function payloadHashText(payload: JsonValue): string {
  return `sha256:${bytesToHex(payloadDigest(payload))}`;
}

/**
 * Check `payload` against a hash in either encoding (base64 of the digest, or `sha256:<hex>`).
 * Returns `'match'`, `'mismatch'`, or `'unknown_format'` when the hash is in neither form (which the
 * caller reports but does not treat as corruption).
 */
export function verifyPayloadHash(payload: JsonValue, hash: string): 'match' | 'mismatch' | 'unknown_format' {
  const h = hash.trim();
  if (/^sha256:[0-9a-fA-F]{64}$/.test(h)) return payloadHashText(payload) === h.toLowerCase() ? 'match' : 'mismatch';
  if (/^[A-Za-z0-9+/]{43}=$/.test(h)) return payloadHashBase64(payload) === h ? 'match' : 'mismatch';
  return 'unknown_format';
}
