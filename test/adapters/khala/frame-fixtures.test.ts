import { describe, expect, it } from 'vitest';
import type { SyncBatch } from '../../../src/model/types.js';
import { b64json, frame, joinedSession, loadFixture, push } from './helpers.js';

const FILES = ['khala-frame-v1.json', 'legacy-sync-frame-v1.json'] as const;

const REPLAY_BATCH: SyncBatch = {
  topic: 'runtime.run_summaries',
  updates: [
    {
      topic: 'runtime.run_summaries',
      docKey: 'run:42',
      docVersion: 42,
      payload: { status: 'running' },
      payloadHash: null,
      watermark: 42,
      hydrationRequired: false,
    },
  ],
  replayComplete: false,
  headWatermark: 45,
};

describe.each(FILES)('fixture %s through a real session', (file) => {
  const fixtures = loadFixture(file);

  it('has the three documented fixtures', () => {
    expect([...fixtures.keys()].sort()).toEqual(['live_tail_batch', 'replay_batch', 'stale_cursor_error']);
  });

  it('replay_batch decodes to the expected SyncBatch', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', fixtures.get('replay_batch')));
    expect(s.sink.calls).toEqual([{ type: 'batch', batch: REPLAY_BATCH }]);
  });

  it('live_tail_batch (known-defective JSON) yields exactly one undecodable_frame and no batch', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', fixtures.get('live_tail_batch')));
    expect(s.sink.calls).toHaveLength(1);
    const [call] = s.sink.of('protocolError');
    expect(call?.error.code).toBe('undecodable_frame');
    expect(call?.error.topic).toBe('runtime.codex_worker_summaries');
    expect(s.sink.of('batch')).toHaveLength(0);
  });

  it('stale_cursor_error yields one serverError with its stale topics', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', fixtures.get('stale_cursor_error')));
    expect(s.sink.calls).toHaveLength(1);
    const [call] = s.sink.of('serverError');
    expect(call?.error).toMatchObject({
      code: 'stale_cursor',
      message: 'cursor is older than retention floor',
      fullResyncRequired: true,
      staleTopics: [{ topic: 'runtime.run_summaries', reason: undefined, resumeAfter: 10, retentionFloor: 42, headWatermark: undefined }],
      snapshotHeads: {},
      forbiddenTopics: [],
    });
  });
});

describe('frame decoding details', () => {
  it('decodes non-ASCII UTF-8 exactly (é, 日本, emoji)', () => {
    const text = 'café 日本 🚀 \u{1F600}';
    const s = joinedSession();
    const body = { updates: [{ topic: 't', doc_key: 'd:é', doc_version: 1, payload: { text, '日本': 'é' }, watermark: 5 }], replay_complete: true, head_watermarks: [] };
    s.receive(push('sync:frame', frame('t', 5, 'KHALA_FRAME_KIND_UPDATE_BATCH', body)));
    const [call] = s.sink.of('batch');
    expect(call?.batch.updates[0]?.payload).toEqual({ text, '日本': 'é' });
    expect(call?.batch.updates[0]?.docKey).toBe('d:é');
  });

  it('refuses a Latin-1 style payload_bytes that is not valid UTF-8', () => {
    const s = joinedSession();
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]); // {"a":"\xe9"}
    s.receive(push('sync:frame', { topic: 't', seq: 1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: bytes.toString('base64'), schema_version: 1 }));
    expect(s.sink.calls.map((c) => (c.type === 'protocolError' ? c.error.code : c.type))).toEqual(['undecodable_frame']);
  });

  it('refuses payload_bytes that is not base64', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', { topic: 't', seq: 1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: '***not base64***', schema_version: 1 }));
    expect(s.sink.of('protocolError').map((c) => c.error.code)).toEqual(['undecodable_frame']);
    expect(s.sink.of('batch')).toHaveLength(0);
  });

  it('refuses schema_version 2 before decoding (even with a garbage body)', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', { topic: 't', seq: 9, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: '!!!', schema_version: 2 }));
    s.receive(push('sync:frame', { schema_version: 2, something: 'new' }));
    const codes = s.sink.of('protocolError').map((c) => c.error.code);
    expect(codes).toEqual(['unsupported_frame_version', 'unsupported_frame_version']);
    expect(s.sink.calls).toHaveLength(2);
  });

  it('skips an UPDATE_BATCH frame whose seq <= lastApplied without decoding it', () => {
    const s = joinedSession();
    s.sink.applied.set('t', 10);
    // payload_bytes is garbage: had it been decoded, an undecodable_frame would be reported.
    s.receive(push('sync:frame', { topic: 't', seq: 10, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: '!!!', schema_version: 1 }));
    s.receive(push('sync:frame', { topic: 't', seq: 3, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: '!!!', schema_version: 1 }));
    expect(s.sink.calls).toEqual([]);
    // seq above lastApplied is decoded and delivered whole (the core filters per update).
    s.receive(push('sync:frame', frame('t', 11, 'KHALA_FRAME_KIND_UPDATE_BATCH', { updates: [{ topic: 't', doc_key: 'a', doc_version: 1, payload: {}, watermark: 9 }, { topic: 't', doc_key: 'b', doc_version: 1, payload: {}, watermark: 11 }], replay_complete: true, head_watermarks: [] })));
    expect(s.sink.of('batch')[0]?.batch.updates.map((u) => u.watermark)).toEqual([9, 11]);
  });

  it('never skips ERROR frames (seq 0) even when something is applied', () => {
    const s = joinedSession();
    s.sink.applied.set('t', 10);
    s.receive(push('sync:frame', frame('t', 0, 'KHALA_FRAME_KIND_ERROR', { code: 'internal' })));
    expect(s.sink.of('serverError').map((c) => c.error.code)).toEqual(['internal']);
  });

  it('decodes HEARTBEAT frames and ignores SUBSCRIBED, UNSPECIFIED and unknown kinds silently', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', frame('t', 0, 'KHALA_FRAME_KIND_HEARTBEAT', { watermarks: [{ topic: 't', watermark: 4 }] })));
    s.receive(push('sync:frame', frame('t', 0, 'SPACETIME_FRAME_KIND_HEARTBEAT', { watermarks: [] })));
    for (const kind of ['KHALA_FRAME_KIND_SUBSCRIBED', 'KHALA_FRAME_KIND_UNSPECIFIED', 'KHALA_FRAME_KIND_FUTURE', 'UPDATE_BATCH', 'OTHER_FRAME_KIND_ERROR']) {
      s.receive(push('sync:frame', frame('t', 1, kind, { updates: [] })));
    }
    expect(s.sink.calls).toEqual([
      { type: 'heartbeat', watermarks: { t: 4 } },
      { type: 'heartbeat', watermarks: {} },
    ]);
  });

  it('accepts proto3 numeric kinds (2 = UPDATE_BATCH)', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', frame('t', 1, 2 as unknown as string, { updates: [{ topic: 't', doc_key: 'a', doc_version: 1, payload: null, hydration_required: true, watermark: 1 }] })));
    expect(s.sink.of('batch')[0]?.batch.updates[0]).toMatchObject({ payload: null, hydrationRequired: true, watermark: 1 });
  });

  it('refuses a frame whose batch names another topic than the frame', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', frame('t', 1, 'KHALA_FRAME_KIND_UPDATE_BATCH', { updates: [{ topic: 'other', doc_key: 'a', doc_version: 1, payload: {}, watermark: 1 }] })));
    const [call] = s.sink.of('protocolError');
    expect(call?.error.code).toBe('invalid_payload');
    expect(call?.error.message).toContain('updates[0].topic');
    expect(s.sink.of('batch')).toHaveLength(0);
  });

  it('refuses an invalid envelope with a message naming the field', () => {
    const s = joinedSession();
    s.receive(push('sync:frame', { topic: 't', seq: -1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: b64json({ updates: [] }), schema_version: 1 }));
    s.receive(push('sync:frame', { topic: 't', seq: 1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', schema_version: 1 }));
    s.receive(push('sync:frame', { topic: 't', seq: 1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: 'e30=', schema_version: '1' }));
    const messages = s.sink.of('protocolError').map((c) => [c.error.code, c.error.message]);
    expect(messages).toEqual([
      ['invalid_payload', expect.stringContaining('sync:frame: invalid seq')],
      ['invalid_payload', expect.stringContaining('sync:frame: invalid payload_bytes')],
      ['invalid_payload', expect.stringContaining('sync:frame: invalid schema_version')],
    ]);
  });

  it('refuses a __proto__ key inside payload_bytes and pollutes nothing', () => {
    const s = joinedSession();
    const json = '{"updates":[{"topic":"t","doc_key":"a","doc_version":1,"payload":{"__proto__":{"polluted":1}},"watermark":1}]}';
    s.receive(push('sync:frame', { topic: 't', seq: 1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: Buffer.from(json).toString('base64'), schema_version: 1 }));
    expect(s.sink.of('protocolError').map((c) => c.error.code)).toEqual(['undecodable_frame']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
