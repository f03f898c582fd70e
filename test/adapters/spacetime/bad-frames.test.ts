import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors/index.js';
import { arrRow, harness, IDENTITY_FRAME, multiApplied, objRow, subscribeIds, table, txUpdate, type Harness } from './session-harness.js';

const A = 'runtime.codex.worker.worker_1';

/** A live session on stream A at watermark 2. */
function live(maxFrameBytes?: number): Harness {
  const h = harness({}, maxFrameBytes);
  h.receiveText(IDENTITY_FRAME);
  h.session.subscribe([A], { [A]: 0 });
  const { requestId, queryId } = subscribeIds(h, A);
  h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(A, 1), objRow(A, 2)])]));
  h.calls.length = 0;
  return h;
}

/** Feed `text`; expect exactly one protocolError with `code` and nothing else (no batch, no watermark change). */
function refused(h: Harness, text: string, code: string): void {
  const before = h.applied.get(A);
  h.receiveText(text);
  expect(h.calls.map((c) => c.type)).toEqual(['protocolError']);
  expect(h.of('protocolError')[0]!.error.code).toBe(code);
  expect(h.applied.get(A)).toBe(before);
  h.calls.length = 0;
}

describe('Spacetime bad frames → typed protocol error, nothing applied, never throws', () => {
  it('malformed JSON, non-object, several tags', () => {
    const h = live();
    refused(h, '{"TransactionUpdate":', ErrorCodes.MALFORMED_FRAME);
    refused(h, '[1,2,3]', ErrorCodes.MALFORMED_FRAME);
    refused(h, 'null', ErrorCodes.MALFORMED_FRAME);
    refused(h, '{"TransactionUpdate":{},"IdentityToken":{}}', ErrorCodes.MALFORMED_FRAME);
    refused(h, '{}', ErrorCodes.MALFORMED_FRAME);
  });

  it('unknown message tag → unknown_message (BSATN-era or v2 names included)', () => {
    const h = live();
    refused(h, '{"InitialConnection":{"identity":"x"}}', ErrorCodes.UNKNOWN_MESSAGE);
    refused(h, '{"ReducerResult":{}}', ErrorCodes.UNKNOWN_MESSAGE);
  });

  it('wrong row shapes → invalid_row; the whole message is refused, good rows included', () => {
    const h = live();
    const tx = (rows: string[]): string => JSON.stringify(txUpdate([table('sync_event', rows)]));
    refused(h, tx([arrRow(A, 3), 'not json']), ErrorCodes.INVALID_ROW);
    refused(h, tx([JSON.stringify([`k`, A, 3, '', '{}'])]), ErrorCodes.INVALID_ROW); // 5 of 8 columns
    refused(h, tx([JSON.stringify(['k', A, '3', '', '{}', 1, 3, true])]), ErrorCodes.INVALID_ROW); // seq as string
    refused(h, tx([JSON.stringify(['k', A, -3, '', '{}', 1, 3, true])]), ErrorCodes.INVALID_ROW);
    refused(h, tx([JSON.stringify(['k', A, 3.5, '', '{}', 1, 3, true])]), ErrorCodes.INVALID_ROW);
    refused(h, tx([JSON.stringify(['k', A, 3, '', '{not json', 1, 3, true])]), ErrorCodes.INVALID_ROW);
    refused(h, tx(['42']), ErrorCodes.INVALID_ROW);
    refused(h, tx([objRow(A, 3, {}, { seq: null })]), ErrorCodes.INVALID_ROW);
    const err = (() => {
      h.receiveText(tx([JSON.stringify(['k', A, -3, '', '{}', 1, 3, true])]));
      return h.of('protocolError')[0]!.error;
    })();
    expect(err.message).toMatch(/inserts\[0\].*seq/);
  });

  it('wrong envelope shapes → invalid_payload', () => {
    const h = live();
    refused(h, JSON.stringify({ TransactionUpdate: { status: { Committed: { tables: 'x' } } } }), ErrorCodes.INVALID_PAYLOAD);
    refused(h, JSON.stringify({ TransactionUpdate: { status: { Maybe: 1 } } }), ErrorCodes.INVALID_PAYLOAD);
    refused(h, JSON.stringify({ TransactionUpdate: { status: 'Committed' } }), ErrorCodes.INVALID_PAYLOAD);
    refused(h, JSON.stringify({ TransactionUpdate: { status: { Committed: { tables: [{ table_name: 'sync_event', updates: [{ deletes: [], inserts: [7] }] }] } } } }), ErrorCodes.INVALID_PAYLOAD);
  });

  it('an unreadable SubscriptionError with a set on the connection → invalid_payload, then the connection starts over (S7)', () => {
    const h = live();
    h.receiveText(JSON.stringify({ SubscriptionError: { request_id: 5, query_id: { none: [] }, error: 'x' } }));
    expect(h.calls.map((c) => c.type)).toEqual(['protocolError', 'channelDown']);
    expect(h.of('protocolError')[0]!.error.code).toBe(ErrorCodes.INVALID_PAYLOAD);
    const idle = harness();
    idle.receiveText(IDENTITY_FRAME);
    idle.calls.length = 0;
    refused(idle, JSON.stringify({ SubscriptionError: { request_id: 5, query_id: { none: [] }, error: 'x' } }), ErrorCodes.INVALID_PAYLOAD);
  });

  it('__proto__ / constructor keys anywhere (envelope, row, payload_json) → forbidden_key', () => {
    const h = live();
    refused(h, '{"__proto__":{"polluted":true}}', ErrorCodes.FORBIDDEN_KEY);
    refused(h, JSON.stringify(txUpdate([table('sync_event', [arrRow(A, 3)])])).replace('"status"', '"constructor":1,"status"'), ErrorCodes.FORBIDDEN_KEY);
    // Inside a row string, and inside payload_json (JSON in JSON in JSON): refused, not half-applied.
    refused(h, JSON.stringify(txUpdate([table('sync_event', ['{"__proto__":{"x":1},"stream_id":"a"}'])])), ErrorCodes.FORBIDDEN_KEY);
    refused(h, JSON.stringify(txUpdate([table('sync_event', [JSON.stringify(['k', A, 3, '', '{"__proto__":{"admin":true}}', 1, 3, true])])])), ErrorCodes.FORBIDDEN_KEY);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('oversized frames → frame_too_large without parsing', () => {
    const h = live(2000);
    const big = JSON.stringify(txUpdate([table('sync_event', [arrRow(A, 3, { pad: 'x'.repeat(3000) })])]));
    refused(h, big, ErrorCodes.FRAME_TOO_LARGE);
  });

  it('after refusals the stream continues: the next good frame applies, a gap from a refused one is reported stale', () => {
    const h = live();
    h.receiveText('{"oops"');
    h.receive(txUpdate([table('sync_event', [arrRow(A, 3)])]));
    expect(h.applied.get(A)).toBe(3);
    // seq 4 was in a refused frame: 5 shows the gap, and the stream recovers instead of silently skipping.
    h.receiveText(JSON.stringify(txUpdate([table('sync_event', [arrRow(A, 4), 'bad'])])));
    h.receive(txUpdate([table('sync_event', [arrRow(A, 5)])]));
    expect(h.applied.get(A)).toBe(3);
    expect(h.of('serverError')[0]!.error).toMatchObject({ code: 'stale_cursor', staleTopics: [{ topic: A, resumeAfter: 3, retentionFloor: 4 }] });
  });
});

describe('Spacetime oversized subscribe reply', () => {
  it('is reported frame_too_large and its stream stale (not left pending forever); the set is dropped', () => {
    const h = harness({}, 500);
    h.receiveText(IDENTITY_FRAME);
    const rid = h.session.subscribe([A], { [A]: 4 });
    const { requestId, queryId } = subscribeIds(h, A);
    h.receive(multiApplied(requestId, queryId, [table('sync_event', Array.from({ length: 20 }, (_, i) => objRow(A, i + 5)))]));
    expect(h.calls.map((c) => c.type)).toEqual(['ready', 'protocolError', 'subscribeFailed']);
    expect(h.of('protocolError')[0]!.error).toMatchObject({ code: ErrorCodes.FRAME_TOO_LARGE, topic: A });
    expect(h.of('subscribeFailed')[0]).toMatchObject({ requestId: rid, topics: [A], error: { code: 'stale_cursor', staleTopics: [{ topic: A, reason: 'replay_budget_exceeded', resumeAfter: 4 }] } });
    expect(h.sentJson().at(-1)).toEqual({ UnsubscribeMulti: { request_id: expect.any(Number), query_id: { id: queryId } } });
    expect(h.applied.get(A)).toBeUndefined();
  });
});
