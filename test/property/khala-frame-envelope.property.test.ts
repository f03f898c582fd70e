// The one-pass KhalaFrame envelope read of the frame decoder (src/adapters/khala/frame-decoder.ts)
// against the check of record (`khalaFrame` in checks.ts): it accepts exactly what the check
// accepts, with the same value, so a frame it declines goes through the check and is refused (or
// accepted) exactly as before. And the kind table, which replaced a prefix regex.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { khalaFrame } from '../../src/adapters/khala/checks.js';
import { frameKindOf, plainEnvelope } from '../../src/adapters/khala/frame-decoder.js';
import { validateShape } from '../../src/adapters/validate.js';
import type { JsonObject } from '../../src/util/json.js';

const NUM_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1000);

const odd: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, 0, -0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, Number.NaN, Infinity, '', '1', 'KHALA_FRAME_KIND_UPDATE_BATCH', [], {}, [1]),
  fc.jsonValue({ maxDepth: 1 }),
);

const envelope = fc.record(
  {
    topic: fc.oneof(fc.string({ maxLength: 6 }), odd),
    seq: fc.oneof(fc.nat(), odd),
    kind: fc.oneof(fc.constantFrom('KHALA_FRAME_KIND_UPDATE_BATCH', 'SPACETIME_FRAME_KIND_ERROR', 2, 7), odd),
    payload_bytes: fc.oneof(fc.base64String({ maxLength: 12 }), odd),
    schema_version: fc.oneof(fc.constantFrom(1, 2, 0), odd),
    extra: odd,
  },
  { requiredKeys: [] },
);

describe('KhalaFrame envelope: one-pass read ≡ the khalaFrame check (fast-check)', () => {
  it('accepts exactly what the check accepts, with the same value', () => {
    fc.assert(
      fc.property(envelope, (raw) => {
        // What JSON.parse could hand over: no undefined values.
        const payload = JSON.parse(JSON.stringify(raw)) as JsonObject;
        const checked = validateShape(khalaFrame, payload, 'sync:frame');
        const plain = plainEnvelope(payload);
        expect(plain !== undefined).toBe(checked.ok);
        if (plain !== undefined && checked.ok) {
          expect(plain).toEqual(checked.value);
          expect(Object.keys(plain)).toEqual(Object.keys(checked.value));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('frameKindOf', () => {
  it('maps both lanes’ enum names (in any case, trimmed, like codes) and the proto3 numbers, and nothing else', () => {
    for (const lane of ['KHALA', 'SPACETIME']) {
      expect(frameKindOf(`${lane}_FRAME_KIND_UPDATE_BATCH`)).toBe('update_batch');
      expect(frameKindOf(`${lane}_FRAME_KIND_HEARTBEAT`)).toBe('heartbeat');
      expect(frameKindOf(`${lane}_FRAME_KIND_ERROR`)).toBe('error');
      for (const miss of ['SUBSCRIBED', 'UNSPECIFIED', 'UPDATE_BATCHX', '', '__proto__', 'constructor', 'hasOwnProperty']) {
        expect(frameKindOf(`${lane}_FRAME_KIND_${miss}`)).toBeUndefined();
      }
    }
    expect([2, 3, 4].map(frameKindOf)).toEqual(['update_batch', 'heartbeat', 'error']);
    for (const miss of [0, 1, 5, -2, -0]) expect(frameKindOf(miss)).toBeUndefined();
    for (const hit of ['KHALA_FRAME_KIND_ERROR ', 'khala_frame_kind_error', 'Spacetime_Frame_Kind_Error']) expect(frameKindOf(hit)).toBe('error');
    for (const miss of ['UPDATE_BATCH', 'XKHALA_FRAME_KIND_ERROR', 'OTHER_FRAME_KIND_ERROR', '2', 'toString', 'khala_frame_kind_subscribed']) {
      expect(frameKindOf(miss)).toBeUndefined();
    }
  });
});
