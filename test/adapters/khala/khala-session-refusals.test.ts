import { describe, expect, it } from 'vitest';
import { b64json, joinedSession, push, update, updateBatch } from './helpers.js';

const RS = 'runtime.run_summaries';

describe('KhalaSession: refused inbound data', () => {
  const codes = (s: ReturnType<typeof joinedSession>) => s.sink.calls.map((c) => (c.type === 'protocolError' ? c.error.code : c.type));

  it('refuses oversized frames without parsing them', () => {
    const s = joinedSession({ maxFrameBytes: 64 });
    const text = JSON.stringify(push('sync:update_batch', updateBatch(RS, [1, 2, 3])));
    s.session.receive(text, 65);
    s.session.receive('not even json', 10_000);
    expect(codes(s)).toEqual(['frame_too_large', 'frame_too_large']);
    s.session.receive(JSON.stringify(push('sync:heartbeat', {})), 64);
    expect(codes(s)).toEqual(['frame_too_large', 'frame_too_large', 'heartbeat']);
  });

  it('refuses malformed JSON, wrong arity and non-string event', () => {
    const s = joinedSession();
    s.receive('["1",null,"sync:v1","sync:update_batch",{');
    s.receive(['1', null, 'sync:v1', 'sync:heartbeat']);
    s.receive(['1', null, 'sync:v1', 7, {}]);
    expect(codes(s)).toEqual(['malformed_frame', 'malformed_frame', 'malformed_frame']);
  });

  it('reports unknown events (sync:* and others) as unknown_event', () => {
    const s = joinedSession();
    s.receive(push('sync:surprise', {}));
    s.receive(push('presence_diff', {}));
    expect(codes(s)).toEqual(['unknown_event', 'unknown_event']);
    expect(s.sink.of('protocolError')[0]?.error.message).toContain('sync:surprise');
  });

  it.each([
    ['negative', -1],
    ['fractional', 2.5],
    ['string', '3'],
    ['unsafe', 2 ** 53],
  ])('refuses a %s watermark, naming event and field', (_label, watermark) => {
    const s = joinedSession();
    s.receive(push('sync:update_batch', { updates: [update(RS, 1), { ...update(RS, 2), watermark }], replay_complete: true, head_watermarks: [] }));
    const [call] = s.sink.of('protocolError');
    expect(call?.error.code).toBe('invalid_payload');
    expect(call?.error.message).toContain('sync:update_batch');
    expect(call?.error.message).toContain('updates[1].watermark');
    expect(s.sink.of('batch')).toHaveLength(0);
  });

  it('refuses a bad head watermark and a missing doc_key', () => {
    const s = joinedSession();
    s.receive(push('sync:update_batch', { ...updateBatch(RS, [1]), head_watermarks: [{ topic: RS, watermark: -4 }] }));
    const noKey: Record<string, unknown> = update(RS, 1);
    delete noKey['doc_key'];
    s.receive(push('sync:update_batch', { updates: [noKey] }));
    expect(s.sink.of('protocolError').map((c) => c.error.message)).toEqual([
      expect.stringContaining('head_watermarks[0].watermark'),
      expect.stringContaining('updates[0].doc_key'),
    ]);
  });

  it('refuses a __proto__ key inside an update payload (forbidden_key) and pollutes nothing', () => {
    const s = joinedSession();
    s.receive('["1",null,"sync:v1","sync:update_batch",{"updates":[{"topic":"t","doc_key":"a","doc_version":1,"payload":{"__proto__":{"polluted":true}},"watermark":1}]}]');
    expect(codes(s)).toEqual(['forbidden_key']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a batch mixing topics or with non-ascending watermarks', () => {
    const s = joinedSession();
    s.receive(push('sync:update_batch', { updates: [update('a', 1), update('b', 2)] }));
    s.receive(push('sync:update_batch', { updates: [update('a', 2), update('a', 2)] }));
    s.receive(push('sync:update_batch', { updates: [update('a', 3), update('a', 1)] }));
    const errors = s.sink.of('protocolError').map((c) => [c.error.code, c.error.message]);
    expect(errors).toEqual([
      ['invalid_payload', expect.stringContaining('updates[1].topic')],
      ['invalid_payload', expect.stringContaining('updates[1].watermark')],
      ['invalid_payload', expect.stringContaining('updates[1].watermark')],
    ]);
    expect(s.sink.of('batch')).toHaveLength(0);
  });

  it('decodes a payload sent as base64 of JSON (§14.3), and refuses an undecodable one', () => {
    const s = joinedSession();
    const body = { status: 'done', note: 'é 日本 🚀' };
    s.receive(push('sync:update_batch', { updates: [update(RS, 1, b64json(body))] }));
    expect(s.sink.of('batch')[0]?.batch.updates[0]?.payload).toEqual(body);
    s.receive(push('sync:update_batch', { updates: [update(RS, 2, 'not base64 at all!')] }));
    s.receive(push('sync:update_batch', { updates: [update(RS, 3, b64json([1, 2]))] }));
    s.receive(push('sync:update_batch', { updates: [update(RS, 4, 42)] }));
    expect(s.sink.of('protocolError').map((c) => [c.error.code, c.error.message])).toEqual([
      ['invalid_payload', expect.stringContaining('updates[0].payload')],
      ['invalid_payload', expect.stringContaining('updates[0].payload')],
      ['invalid_payload', expect.stringContaining('updates[0].payload')],
    ]);
  });

  it('fills defaults: payload_hash absent → null, hydration_required → false, replay_complete → false', () => {
    const s = joinedSession();
    s.receive(push('sync:update_batch', { updates: [{ topic: RS, doc_key: 'k', doc_version: 0, payload: { a: 1 }, watermark: 0 }] }));
    expect(s.sink.of('batch')[0]?.batch).toEqual({
      topic: RS,
      updates: [{ topic: RS, docKey: 'k', docVersion: 0, payload: { a: 1 }, payloadHash: null, watermark: 0, hydrationRequired: false }],
      replayComplete: false,
      headWatermark: undefined,
    });
  });

  it('refuses invalid replies and invalid error payloads with a message naming the request', () => {
    const s = joinedSession();
    s.session.subscribe(['a'], {});
    s.session.subscribe(['b'], {});
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: { current_watermarks: [{ topic: 'a', watermark: 1.5 }] } }]);
    s.receive(['1', '3', 'sync:v1', 'phx_reply', { status: 'weird' }]);
    s.receive(push('sync:error', { message: 'no code' }));
    expect(s.sink.of('protocolError').map((c) => c.error.message)).toEqual([
      expect.stringMatching(/phx_reply to sync:subscribe.*current_watermarks\[0\]\.watermark/),
      expect.stringMatching(/phx_reply to sync:subscribe.*status/),
      expect.stringMatching(/sync:error.*code/),
    ]);
    // Each unreadable subscribe reply also tells the core that its request is lost (SPEC.md S7).
    expect(s.sink.of('subscribeFailed').map((c) => [c.requestId, c.topics, c.error.code])).toEqual([
      [1, ['a'], 'invalid_payload'],
      [2, ['b'], 'invalid_payload'],
    ]);
    expect(s.sink.calls.map((c) => c.type)).toEqual(['protocolError', 'subscribeFailed', 'protocolError', 'subscribeFailed', 'protocolError']);
  });

  it('never puts a token in any protocol error message', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlX3NlY3JldA';
    const s = joinedSession({ maxFrameBytes: 4096 });
    s.receive(push(`sync:${token}`, {}));
    s.receive(push('sync:update_batch', { updates: [{ ...update(RS, 1), watermark: token }] }));
    s.receive(push('sync:frame', { topic: 't', seq: 1, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: token, schema_version: 1 }));
    s.receive(`[${JSON.stringify(token)}`);
    const errors = s.sink.of('protocolError');
    expect(errors).toHaveLength(4);
    for (const { error } of errors) {
      expect(error.message).not.toContain(token);
      expect(JSON.stringify(error.toJSON())).not.toContain(token);
    }
  });
});
