import { describe, expect, it } from 'vitest';
import { frame, joinedSession, makeSession, push, updateBatch } from './helpers.js';

const RS = 'runtime.run_summaries';

describe('KhalaSession: §12 happy-path transcript', () => {
  it('produces the transcript frames and sink calls exactly', () => {
    const s = makeSession();
    s.session.start();
    expect(s.send.mock.calls[0]?.[0]).toBe(
      '["1","1","sync:v1","phx_join",{"client":"oa-ts","client_build_id":"20260301T000000Z","protocol_version":"khala.ws.v1","schema_version":1}]',
    );
    s.receive(['1', '1', 'sync:v1', 'phx_reply', { status: 'ok', response: { subscription_id: 'sub_x', allowed_topics: [RS], current_watermarks: [] } }]);
    expect(s.sink.calls).toEqual([{ type: 'ready', allowedTopics: [RS] }]);

    const id = s.session.subscribe([RS], { [RS]: 1 });
    expect(s.send.mock.calls[1]?.[0]).toBe(
      '["1","2","sync:v1","sync:subscribe",{"topics":["runtime.run_summaries"],"resume_after":{"runtime.run_summaries":1},"replay_batch_size":200}]',
    );

    const batch = updateBatch(RS, [2, 3]);
    s.receive(['1', null, 'sync:v1', 'sync:update_batch', batch]);
    s.receive(['1', null, 'sync:v1', 'sync:frame', frame(RS, 3, 'KHALA_FRAME_KIND_UPDATE_BATCH', batch)]);
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: { subscription_id: 'sub_x', topics: [RS], current_watermarks: [{ topic: RS, watermark: 3 }] } }]);

    expect(s.sink.calls.map((c) => c.type)).toEqual(['ready', 'batch', 'subscribed']);
    const [b] = s.sink.of('batch');
    expect(b?.batch).toMatchObject({ topic: RS, replayComplete: true, headWatermark: 3 });
    expect(b?.batch.updates.map((u) => u.watermark)).toEqual([2, 3]);
    expect(s.sink.of('subscribed')).toEqual([{ type: 'subscribed', requestId: id, topics: [RS], currentWatermarks: { [RS]: 3 } }]);
  });

  it('decodes the frame twin of an update_batch to the very same SyncBatch', () => {
    const s = joinedSession({ apply: false });
    const batch = updateBatch(RS, [2, 3]);
    s.receive(push('sync:update_batch', batch));
    s.receive(push('sync:frame', frame(RS, 3, 'KHALA_FRAME_KIND_UPDATE_BATCH', batch)));
    const [a, b] = s.sink.of('batch');
    expect(b?.batch).toEqual(a?.batch);
  });
});

describe('KhalaSession: refs and join_ref', () => {
  it('stamps the join ref on later pushes and counts refs per session from "1"', () => {
    const s = joinedSession();
    s.session.subscribe(['a'], {});
    s.session.unsubscribe(['a']);
    s.session.heartbeat();
    expect(s.sent().map((f) => [f[0], f[1], f[2], f[3]])).toEqual([
      ['1', '1', 'sync:v1', 'phx_join'],
      ['1', '2', 'sync:v1', 'sync:subscribe'],
      ['1', '3', 'sync:v1', 'sync:unsubscribe'],
      ['1', '4', 'sync:v1', 'sync:heartbeat'],
    ]);
    expect(s.sent()[2]?.[4]).toEqual({ topics: ['a'] });
    expect(s.sent()[3]?.[4]).toEqual({});
  });

  it('omits resume_after when no requested topic has a cursor, and sends only requested topics', () => {
    const s = joinedSession({ settings: { replayBatchSize: 50 } });
    s.session.subscribe(['a', 'b'], {});
    s.session.subscribe(['a', 'b'], { b: 0, c: 9, constructor: 4 });
    const [first, second] = [s.sent()[1]?.[4], s.sent()[2]?.[4]];
    expect(first).toEqual({ topics: ['a', 'b'], replay_batch_size: 50 });
    expect(second).toEqual({ topics: ['a', 'b'], resume_after: { b: 0 }, replay_batch_size: 50 });
  });

  it('returns increasing request ids and refuses non-integer cursors', () => {
    const s = joinedSession();
    const a = s.session.subscribe(['a'], {});
    const b = s.session.subscribe(['b'], {});
    expect(b).toBeGreaterThan(a);
    expect(() => s.session.subscribe(['a'], { a: 1.5 })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
    expect(() => s.session.subscribe(['a'], { a: -1 })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
  });

  it('drops pushes stamped with another join_ref but accepts null (legacy) join_ref', () => {
    const s = joinedSession();
    s.receive(push('sync:update_batch', updateBatch(RS, [5]), '0'));
    s.receive(push('phx_error', {}, '99'));
    expect(s.sink.calls).toEqual([]);
    s.receive(push('sync:update_batch', updateBatch(RS, [6]), null));
    expect(s.sink.of('batch').map((c) => c.batch.updates[0]?.watermark)).toEqual([6]);
  });

  it('rejoins with a new join ref on a second start() and drops the old instance\'s leftovers', () => {
    const s = joinedSession();
    s.session.start();
    expect(s.sent()[1]?.slice(0, 4)).toEqual(['2', '2', 'sync:v1', 'phx_join']);
    s.receive(push('sync:update_batch', updateBatch(RS, [7]), '1'));
    expect(s.sink.calls).toEqual([]);
    s.receive(['2', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: {} }]);
    expect(s.sink.calls).toEqual([{ type: 'ready', allowedTopics: undefined }]);
  });

  it('ignores other topics, including phoenix heartbeat replies', () => {
    const s = joinedSession();
    s.receive([null, '2', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    s.receive(['1', null, 'sync:v2', 'sync:update_batch', updateBatch(RS, [5])]);
    expect(s.sink.calls).toEqual([]);
  });
});

describe('KhalaSession: reply correlation', () => {
  it('routes replies by ref, whatever their order', () => {
    const s = joinedSession();
    const first = s.session.subscribe(['a'], {}); // ref 2
    const second = s.session.subscribe(['b'], {}); // ref 3
    s.receive(['1', '3', 'sync:v1', 'phx_reply', { status: 'error', response: { code: 'forbidden_topic', forbidden_topics: ['b'] } }]);
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: { topics: ['a'], current_watermarks: [{ topic: 'a', watermark: 4 }] } }]);
    expect(s.sink.calls).toEqual([
      { type: 'subscribeFailed', requestId: second, topics: ['b'], error: expect.objectContaining({ code: 'forbidden_topic', forbiddenTopics: ['b'] }) },
      { type: 'subscribed', requestId: first, topics: ['a'], currentWatermarks: { a: 4 } },
    ]);
  });

  it('answers a reply once: a duplicate or unknown ref is ignored', () => {
    const s = joinedSession();
    s.session.subscribe(['a'], {});
    const reply = ['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: {} }];
    s.receive(reply);
    s.receive(reply);
    s.receive(['1', '42', 'sync:v1', 'phx_reply', { status: 'ok', response: {} }]);
    expect(s.sink.calls.map((c) => c.type)).toEqual(['subscribed']);
  });

  it('reports heartbeat replies and pushes as heartbeat watermarks', () => {
    const s = joinedSession();
    s.session.heartbeat();
    s.receive(push('sync:heartbeat', { watermarks: [{ topic: 'a', watermark: 3 }] }));
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: { subscription_id: 'x', watermarks: [{ topic: 'a', watermark: 3 }, { topic: 'b', watermark: 1 }] } }]);
    expect(s.sink.calls).toEqual([
      { type: 'heartbeat', watermarks: { a: 3 } },
      { type: 'heartbeat', watermarks: { a: 3, b: 1 } },
    ]);
  });

  it('reports a join error and Phoenix "unmatched topic" as joinFailed(unmatched_topic)', () => {
    const s = makeSession();
    s.session.start();
    s.receive(['1', '1', 'sync:v1', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
    const [call] = s.sink.of('joinFailed');
    expect(call?.error.code).toBe('unmatched_topic');
    expect(call?.error.raw).toEqual({ reason: 'unmatched topic' });
    expect(s.sink.of('ready')).toHaveLength(0);
  });

  it('reports upgrade_required join errors with their compat fields in raw', () => {
    const s = makeSession();
    s.session.start();
    const response = { code: 'upgrade_required', message: 'too old', retryable: false, upgrade_required: true, surface: 'khala_websocket', max_client_build_id: null, min_schema_version: 1, max_schema_version: 1, protocol_version: 'khala.ws.v1' };
    s.receive(['1', '1', 'sync:v1', 'phx_reply', { status: 'error', response }]);
    expect(s.sink.of('joinFailed')[0]?.error).toMatchObject({ code: 'upgrade_required', message: 'too old', raw: response });
  });

  it('reports an unmatched-topic reply to a push after the channel died as a serverError', () => {
    const s = joinedSession();
    s.receive(push('phx_close', {}));
    s.session.heartbeat();
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
    expect(s.sink.calls.map((c) => (c.type === 'serverError' ? c.error.code : c.type))).toEqual(['channelDown', 'unmatched_topic']);
  });

  it('awaits only the newest unsubscribe reply: a server that never answers them grows nothing', () => {
    const s = joinedSession();
    for (let i = 0; i < 1000; i++) s.session.unsubscribe([`t${i}`]);
    const pending = (s.session as unknown as { pending: Map<string, unknown> | undefined }).pending;
    expect(pending?.size).toBe(1);
    s.receive(['1', '1001', 'sync:v1', 'phx_reply', { status: 'error', response: { code: 'bad_subscription' } }]);
    expect(s.sink.of('serverError').map((c) => c.error.code)).toEqual(['bad_subscription']);
    expect((s.session as unknown as { pending: Map<string, unknown> | undefined }).pending).toBeUndefined();
  });

  it('forgets pending requests on dispose and ignores everything after', () => {
    const s = joinedSession();
    s.session.subscribe(['a'], {});
    s.session.dispose();
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: {} }]);
    s.session.heartbeat();
    expect(s.sink.calls).toEqual([]);
    expect(s.send).toHaveBeenCalledTimes(2);
  });
});

describe('KhalaSession: channel lifecycle', () => {
  it.each(['phx_close', 'phx_error'])('%s → channelDown and pending replies forgotten', (event) => {
    const s = joinedSession();
    s.session.subscribe(['a'], {});
    s.receive(push(event, {}));
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'ok', response: {} }]);
    expect(s.sink.calls).toEqual([{ type: 'channelDown', reason: event }]);
  });
});

describe('KhalaSession: pushed errors are delivered once', () => {
  const slow = { code: 'slow_consumer', message: 'client cannot keep up with live fanout', action: 'throttle', topic: 't', queue_depth: 65, queue_limit: 64, reconnect_after_ms: 2000, full_resync_required: false };
  const slowReordered = { full_resync_required: false, reconnect_after_ms: 2000, queue_limit: 64, queue_depth: 65, topic: 't', action: 'throttle', message: 'client cannot keep up with live fanout', code: 'slow_consumer' };

  it('collapses sync:error + ERROR frame into one serverError, while two real strikes stay two', () => {
    const s = joinedSession();
    for (let strike = 0; strike < 2; strike++) {
      s.receive(push('sync:error', slow));
      s.receive(push('sync:frame', frame('t', 0, 'KHALA_FRAME_KIND_ERROR', slowReordered)));
    }
    const errors = s.sink.of('serverError');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.error).toMatchObject({ code: 'slow_consumer', action: 'throttle', topic: 't', retryAfterMs: 2000, fullResyncRequired: false });
  });

  it('delivers each error once when the server emits only one stream', () => {
    const frameOnly = joinedSession();
    frameOnly.receive(push('sync:frame', frame('t', 0, 'KHALA_FRAME_KIND_ERROR', slow)));
    frameOnly.receive(push('sync:frame', frame('t', 0, 'KHALA_FRAME_KIND_ERROR', slow)));
    expect(frameOnly.sink.of('serverError')).toHaveLength(2);
    const eventOnly = joinedSession();
    eventOnly.receive(push('sync:error', slow));
    expect(eventOnly.sink.of('serverError')).toHaveLength(1);
  });

  it('does not pair two different errors', () => {
    const s = joinedSession();
    s.receive(push('sync:error', slow));
    s.receive(push('sync:frame', frame('t', 0, 'KHALA_FRAME_KIND_ERROR', { ...slow, action: 'disconnect', full_resync_required: true })));
    expect(s.sink.of('serverError').map((c) => c.error.action)).toEqual(['throttle', 'disconnect']);
  });

  it('normalizes enum-style codes (SYNC_ERROR_CODE_STALE_CURSOR, FORBIDDEN_STREAM)', () => {
    const s = joinedSession();
    s.receive(push('sync:error', { code: 'SYNC_ERROR_CODE_STALE_CURSOR', full_resync_required: true, stale_topics: [{ topic: RS }] }));
    s.receive(push('sync:error', { code: 'FORBIDDEN_STREAM' }));
    expect(s.sink.of('serverError').map((c) => c.error.code)).toEqual(['stale_cursor', 'forbidden_topic']);
  });
});
