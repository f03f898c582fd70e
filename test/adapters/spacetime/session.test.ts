import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors/index.js';
import { harness, IDENTITY_FRAME, multiApplied, objRow, arrRow, subscribeIds, table, txUpdate, type Harness } from './session-harness.js';
import type { SpacetimeSession } from '../../../src/spacetime.js';

const A = 'runtime.codex.worker.worker_1';
const B = 'runtime.run.run_7';

function ready(h: Harness): void {
  h.receiveText(IDENTITY_FRAME);
}

function seqs(h: Harness, topic?: string): number[] {
  return h.of('batch').filter((c) => topic === undefined || c.batch.topic === topic).flatMap((c) => c.batch.updates.map((u) => u.watermark));
}

describe('SpacetimeSession handshake (§1.2, §5 rules 1–2)', () => {
  it('sends nothing until IdentityToken, which is the lane ready; identity and u128 connection id kept exactly', () => {
    const h = harness();
    expect(h.sent).toEqual([]);
    ready(h);
    expect(h.calls).toEqual([{ type: 'ready' }]);
    const s = h.session as SpacetimeSession;
    expect(s.identity).toBe('0xc2003d59aa');
    // JSON.parse would round this to 215482719061187200000000000000000000000.
    expect(s.connectionId).toBe('215482719061187203577396146612849307742');
  });

  it('refuses anything before IdentityToken and a second IdentityToken as unexpected_message', () => {
    const h = harness();
    h.receive(multiApplied(1, 1, []));
    expect(h.calls.map((c) => c.type)).toEqual(['protocolError']);
    expect(h.of('protocolError')[0]!.error.code).toBe(ErrorCodes.UNEXPECTED_MESSAGE);
    ready(h);
    ready(h);
    expect(h.of('ready')).toHaveLength(1);
    expect(h.of('protocolError')[1]!.error.code).toBe(ErrorCodes.UNEXPECTED_MESSAGE);
  });

  it('never puts the IdentityToken credential in an error', () => {
    const h = harness();
    h.receiveText(IDENTITY_FRAME.replace('"token":"secret-token-abc"', '"token":7'));
    const err = h.of('protocolError')[0]!.error;
    expect(err.code).toBe(ErrorCodes.INVALID_PAYLOAD);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('secret-token-abc');
  });
});

describe('SpacetimeSession subscribe frames (§1.4, §5 rules 3–4)', () => {
  it('one SubscribeMulti per stream, query_id as {"id": n}, quote-doubled literals, seq > cursor only when given', () => {
    const h = harness();
    ready(h);
    const id = h.session.subscribe([A, "it's"], { [A]: 42 });
    const msgs = h.sentJson();
    expect(msgs).toEqual([
      { SubscribeMulti: { query_strings: [`SELECT * FROM sync_event WHERE stream_id = '${A}' AND seq > 42`], request_id: 1, query_id: { id: 1 } } },
      { SubscribeMulti: { query_strings: ["SELECT * FROM sync_event WHERE stream_id = 'it''s'"], request_id: 2, query_id: { id: 2 } } },
    ]);
    expect(id).toBe(1);
    expect(h.sent.join('\n')).not.toMatch(/ORDER BY|LIMIT/);
  });

  it('never reuses a live query id, and replacing a set unsubscribes the old one first', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], {});
    h.session.subscribe([A], { [A]: 3 });
    const msgs = h.sentJson();
    expect(msgs[1]).toEqual({ UnsubscribeMulti: { request_id: 2, query_id: { id: 1 } } });
    expect(msgs[2]).toMatchObject({ SubscribeMulti: { query_id: { id: 2 } } });
    const ids = msgs.filter((m) => 'SubscribeMulti' in m).map((m) => (m['SubscribeMulti'] as { query_id: { id: number } }).query_id.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses a cursor that is not a non-negative safe integer (it would go into SQL)', () => {
    const h = harness();
    ready(h);
    expect(() => h.session.subscribe([A], { [A]: -1 })).toThrow(/non-negative/);
    expect(() => h.session.subscribe([A], { [A]: 1.5 })).toThrow(/non-negative/);
    expect(h.sent).toEqual([]);
  });
});

describe('SpacetimeSession rows (§1.3 rule 7, §5 rules 5–6)', () => {
  it('SubscribeMultiApplied object rows → one sorted, deduplicated batch, then subscribed', () => {
    const h = harness();
    ready(h);
    const rid = h.session.subscribe([A], { [A]: 0 });
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(A, 3), objRow(A, 1), objRow(A, 2), objRow(A, 2)])]));
    expect(h.calls.map((c) => c.type)).toEqual(['ready', 'batch', 'subscribed']);
    const batch = h.of('batch')[0]!.batch;
    expect(batch.updates.map((u) => u.watermark)).toEqual([1, 2, 3]);
    expect(batch.updates[0]).toEqual({ topic: A, docKey: `k:${A}:1`, docVersion: 1, payload: { seq: 1 }, payloadHash: null, watermark: 1, hydrationRequired: false, publishedAtMs: 1772000000000 });
    expect(batch.replayComplete).toBe(true);
    expect(h.of('subscribed')[0]).toEqual({ type: 'subscribed', requestId: rid, topics: [A] });
  });

  it('TransactionUpdate positional rows → batch; other tables, other streams and deletes are ignored', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, []));
    h.receive(txUpdate([table('stream_head', ['{"stream_id":"x","head_seq":9}']), table('sync_event', [arrRow(A, 2), arrRow(B, 1), arrRow(A, 1)], [arrRow(A, 1)])]));
    expect(seqs(h, A)).toEqual([1, 2]);
    expect(seqs(h, B)).toEqual([]);
    // A delete-only transaction (retention pruning) retracts nothing.
    h.receive(txUpdate([table('sync_event', [], [arrRow(A, 1), arrRow(A, 2)])]));
    expect(h.of('batch')).toHaveLength(1);
    expect(h.of('protocolError')).toEqual([]);
  });

  it('TransactionUpdateLight is read like a Committed update', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(A, 1)])]));
    h.receive({ TransactionUpdateLight: { request_id: 0, update: { tables: [table('sync_event', [arrRow(A, 2)])] } } });
    expect(seqs(h, A)).toEqual([1, 2]);
  });

  it('SubscribeApplied and InitialSubscription replies are accepted too', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive({ SubscribeApplied: { request_id: requestId, total_host_execution_duration_micros: 1, query_id: { id: queryId }, rows: { table_id: 4099, table_name: 'sync_event', table_rows: table('sync_event', [objRow(A, 1)]) } } });
    expect(seqs(h, A)).toEqual([1]);
    h.session.subscribe([B], {});
    const b = subscribeIds(h, B);
    h.receive({ InitialSubscription: { request_id: b.requestId, database_update: { tables: [table('sync_event', [objRow(B, 1), objRow(A, 9)])] }, total_host_execution_duration: { __time_duration_micros__: 1 } } });
    expect(seqs(h, B)).toEqual([1]);
    expect(seqs(h, A)).toEqual([1]);
  });

  it('custom column order maps positional rows', () => {
    const h = harness({ columns: ['stream_id', 'seq', 'idempotency_key', 'payload_json', 'payload_hash'] });
    ready(h);
    h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, []));
    h.receive(txUpdate([table('sync_event', [JSON.stringify([A, 5, 'key5', '{"x":1}', ''])])]));
    expect(h.of('batch')[0]!.batch.updates[0]).toMatchObject({ docKey: 'key5', watermark: 5, payload: { x: 1 } });
  });
});

describe('SpacetimeSession stale detection (§2.5, §5 rule 7)', () => {
  it('a gap after resuming → stale_cursor retention_floor_breach through subscribeFailed; nothing applied; set dropped', () => {
    const h = harness();
    ready(h);
    const rid = h.session.subscribe([A], { [A]: 10 });
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(A, 21), objRow(A, 22)])]));
    expect(h.of('batch')).toEqual([]);
    const failed = h.of('subscribeFailed')[0]!;
    expect(failed.requestId).toBe(rid);
    expect(failed.topics).toEqual([A]);
    expect(failed.error).toMatchObject({ code: 'stale_cursor', fullResyncRequired: true, staleTopics: [{ topic: A, reason: 'retention_floor_breach', resumeAfter: 10, retentionFloor: 20, headWatermark: 22 }] });
    expect(failed.error.raw['stale_cursor_recovery']).toEqual([{ stream_id: A, requested_watermark: 10, retention_floor: 20, head_watermark: 22, reason_code: 'retention_floor_breach' }]);
    expect(h.sentJson().at(-1)).toEqual({ UnsubscribeMulti: { request_id: 2, query_id: { id: queryId } } });
    // Late deltas of the dropped set change nothing.
    h.receive(txUpdate([table('sync_event', [arrRow(A, 23)])]));
    expect(h.of('batch')).toEqual([]);
  });

  it('head - cursor above the replay budget → replay_budget_exceeded', () => {
    const h = harness({ replayBudget: 5 });
    ready(h);
    h.session.subscribe([A], { [A]: 0 });
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [1, 2, 3, 4, 5, 6].map((s) => objRow(A, s)))]));
    expect(h.of('subscribeFailed')[0]!.error.staleTopics[0]).toMatchObject({ reason: 'replay_budget_exceeded', resumeAfter: 0, headWatermark: 6 });
    expect(h.of('batch')).toEqual([]);
  });

  it('one stale stream in a two-stream request: the fresh one is subscribed, only the stale one fails', () => {
    const h = harness();
    ready(h);
    const rid = h.session.subscribe([A, B], { [A]: 1, [B]: 5 });
    const a = subscribeIds(h, A);
    const b = subscribeIds(h, B);
    h.receive(multiApplied(a.requestId, a.queryId, [table('sync_event', [objRow(A, 2)])]));
    h.receive(multiApplied(b.requestId, b.queryId, [table('sync_event', [objRow(B, 9)])]));
    expect(h.of('subscribed')).toEqual([{ type: 'subscribed', requestId: rid, topics: [A] }]);
    expect(h.of('subscribeFailed').map((c) => c.topics)).toEqual([[B]]);
    expect(seqs(h)).toEqual([2]);
  });

  it('a live gap → pushed stale_cursor; the gapped rows are not applied', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], { [A]: 0 });
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(A, 1)])]));
    h.receive(txUpdate([table('sync_event', [arrRow(A, 3)])]));
    expect(seqs(h)).toEqual([1]);
    expect(h.of('serverError')[0]!.error.staleTopics[0]).toMatchObject({ topic: A, resumeAfter: 1, retentionFloor: 2 });
  });

  it('a cursor-less subscribe is never stale (replay of whatever is retained)', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(A, 50)])]));
    expect(seqs(h)).toEqual([50]);
    expect(h.of('subscribeFailed')).toEqual([]);
  });
});

describe('SpacetimeSession errors (§1.6, §5 rule 8)', () => {
  it('SubscriptionError with ids → subscribeFailed bad_subscription; without ids → channelDown', () => {
    const h = harness();
    ready(h);
    const rid = h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: { some: requestId }, query_id: { some: queryId }, table_id: { none: [] }, error: 'no such table, executing: `x`' } });
    expect(h.of('subscribeFailed')[0]).toMatchObject({ requestId: rid, topics: [A], error: { code: 'bad_subscription' } });
    h.receive({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: { none: [] }, query_id: { none: [] }, table_id: { none: [] }, error: 'boom' } });
    expect(h.of('channelDown')).toEqual([{ type: 'channelDown', reason: 'subscription_error' }]);
  });

  it('a Failed TransactionUpdate (a failed subscribe outside the compiler) → channelDown', () => {
    const h = harness();
    ready(h);
    h.receive({ TransactionUpdate: { status: { Failed: 'Subscription with id 1 already exists' } } });
    expect(h.of('channelDown')).toEqual([{ type: 'channelDown', reason: 'transaction_failed' }]);
  });

  it('OneOffQueryResponse on stream_head → heartbeat hints for subscribed streams; heartbeat() sends a hex message_id', () => {
    const h = harness();
    ready(h);
    h.session.subscribe([A], {});
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, []));
    // The reply is followed by a head probe of the new set; the keep-alive sends the next id.
    expect(h.sentJson().at(-1)).toEqual({ OneOffQuery: { message_id: '00000001', query_string: `SELECT * FROM stream_head WHERE stream_id = '${A}'` } });
    h.session.heartbeat();
    expect(h.sentJson().at(-1)).toEqual({ OneOffQuery: { message_id: '00000002', query_string: `SELECT * FROM stream_head WHERE stream_id = '${A}'` } });
    h.receive({ OneOffQueryResponse: { message_id: '00000002', error: { none: [] }, tables: [{ table_name: 'stream_head', rows: [JSON.stringify({ stream_id: A, head_seq: 7, updated_at_unix_ms: 1 }), JSON.stringify({ stream_id: 'other', head_seq: 3, updated_at_unix_ms: 1 })] }], total_host_execution_duration: { __time_duration_micros__: 1 } } });
    expect(h.of('heartbeat')).toEqual([{ type: 'heartbeat', watermarks: { [A]: 7 } }]);
  });
});
