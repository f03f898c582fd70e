/** Largest close reason a WebSocket may carry, in UTF-8 bytes (RFC 6455 §5.5: 125 minus the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

// Any character outside ASCII. Every inbound string frame is measured (maxInboundBytes): testing
// for this in the regular-expression engine costs ~0.4 of the counting loop, and JSON frames are
// nearly always pure ASCII, where the byte length is the length (bench profile, docs/benchmarks.md).
const NON_ASCII = /[\u0080-\uffff]/;

/** Byte length of `text` in UTF-8. Stops counting once past `stopAbove` (default: count it all). */
export function utf8ByteLength(text: string, stopAbove: number = Number.POSITIVE_INFINITY): number {
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= stopAbove; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one 4-byte character; a lone surrogate counts 3
    // (as U+FFFD). Past the end, charCodeAt is NaN, which is no low surrogate.
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : (c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? (i++, 4) : 3;
  }
  return bytes;
}

/**
 * True when `text` takes more than `max` UTF-8 bytes. `maxFrameBytes` is a byte limit: a frame of
 * CJK text is three times its `length`. Only text whose length cannot decide it is counted.
 */
export function exceedsUtf8Bytes(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return utf8ByteLength(text, max) > max;
}

/** `reason` cut to at most {@link MAX_CLOSE_REASON_BYTES} UTF-8 bytes, never inside a character. */
export function clipCloseReason(reason: string): string {
  if (!exceedsUtf8Bytes(reason, MAX_CLOSE_REASON_BYTES)) return reason;
  let out = '';
  // Whole code points while they fit beside the ellipsis (3 bytes); at most ~120 short measurements.
  for (const ch of reason) {
    if (utf8ByteLength(out + ch) > MAX_CLOSE_REASON_BYTES - 3) break;
    out += ch;
  }
  return `${out}…`;
}
