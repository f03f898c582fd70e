import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsUtf8Bytes, utf8ByteLength } from '../../src/transport/utf8-bytes.js';

const encoder = new TextEncoder();
// Any UTF-16 code units, lone surrogates included (which UTF-8 carries as the 3-byte U+FFFD).
const units = fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 40 }).map((cs) => String.fromCharCode(...cs));
const text = fc.oneof(fc.string(), units, fc.string({ unit: 'binary' }));

describe('utf8ByteLength', () => {
  it('is the UTF-8 length, ASCII fast path or not', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(utf8ByteLength(t)).toBe(encoder.encode(t).length);
      }),
      { numRuns: 3000 },
    );
  });

  it('exceedsUtf8Bytes agrees with the encoded length for every bound', () => {
    fc.assert(
      fc.property(text, fc.nat(130), (t, max) => {
        expect(exceedsUtf8Bytes(t, max)).toBe(encoder.encode(t).length > max);
      }),
      { numRuns: 3000 },
    );
  });
});
