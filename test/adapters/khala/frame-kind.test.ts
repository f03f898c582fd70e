// The kind table of the sync:frame decoder (src/adapters/khala/frame-decoder.ts), which replaced a
// prefix regex: both lanes' enum names in any case, the proto3 numbers, and nothing else.
import { describe, expect, it } from 'vitest';
import { frameKindOf } from '../../../src/adapters/khala/frame-decoder.js';

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
