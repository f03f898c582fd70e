// Standard (RFC 4648) base64 and UTF-8 helpers that behave the same in browsers and Node, without
// `Buffer` (Node-only); `atob` only turns checked base64 into bytes (its Latin-1 string would corrupt
// non-ASCII text, which is decoded from the bytes as UTF-8).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encode bytes as standard padded base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

// A native base64 decoder when the runtime has one (`Uint8Array.fromBase64` in current browsers,
// `Buffer` in Node; feature-detected, nothing is imported). Both are laxer than the rules below
// (whitespace, URL-safe letters, stray characters), so each only answers when it can vouch that the
// strict decoder would give the same bytes, and returns `undefined` (let the strict decoder decide)
// otherwise.
type Base64Statics = { fromBase64?: (text: string) => Uint8Array };
type BufferLike = { from(text: string, enc: 'base64'): Uint8Array };
const NATIVE: ((text: string) => Uint8Array | undefined) | undefined = (() => {
  const U = Uint8Array as unknown as Base64Statics;
  const proto = Uint8Array.prototype as unknown as { toBase64?: () => string };
  if (typeof U.fromBase64 === 'function' && typeof proto.toBase64 === 'function') {
    const from = U.fromBase64;
    // Trusted when re-encoding gives back the input exactly.
    return (text) => {
      const bytes = from(text);
      return (bytes as unknown as { toBase64: () => string }).toBase64() === text ? bytes : undefined;
    };
  }
  const B = (globalThis as { Buffer?: BufferLike }).Buffer;
  if (B !== undefined && typeof B.from === 'function') {
    // Buffer skips what it does not understand, so every character was a base64 digit exactly when
    // whole quads decode to the full byte count; its URL-safe digits (- _) are refused up front.
    // Cheaper than re-encoding to compare (bench, docs/benchmarks.md); held to the strict decoder by
    // test/hash/base64.test.ts.
    return (text) => {
      const len = text.length;
      if ((len & 3) !== 0 || text.indexOf('-') >= 0 || text.indexOf('_') >= 0) return undefined;
      const pad = text.charCodeAt(len - 1) === 61 ? (text.charCodeAt(len - 2) === 61 ? 2 : 1) : 0;
      const buf = B.from(text, 'base64');
      if (buf.byteLength !== (len >> 2) * 3 - pad) return undefined;
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    };
  }
  return undefined;
})();

/** Decode standard base64 (padding optional). Returns `undefined` for anything that is not base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  // Performance (bench profile, docs/benchmarks.md): every sync:frame's payload_bytes passes here.
  // The native decoder costs a fraction of the JavaScript loop on an 80 KB frame; it only answers
  // when its acceptance and output are exactly those of the strict decoder.
  if (NATIVE !== undefined && text.length >= 64) {
    try {
      const bytes = NATIVE(text);
      if (bytes !== undefined) return bytes;
    } catch {
      /* not accepted natively: the strict decoder decides */
    }
  }
  return strictBase64ToBytes(text);
}

/** The decoder that defines acceptance (exported for the tests holding the native path to it). */
export function strictBase64ToBytes(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const digits = text.slice(0, end);
  // At most two '=', only digits before them, and no lone digit at the end (it would carry no byte).
  // `atob` then decodes exactly that (ignoring a tail's leftover low bits, as the rules do); what
  // it is lax about (whitespace, misplaced '=') is refused here first.
  if (text.length - end > 2 || end % 4 === 1 || !/^[A-Za-z0-9+/]*$/.test(digits)) return undefined;
  // A plain loop: `Uint8Array.from(string, fn)` was ~15x slower on an 80 KB frame.
  const bin = atob(digits);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Strict UTF-8 decode: `undefined` for invalid byte sequences instead of U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 encode. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
