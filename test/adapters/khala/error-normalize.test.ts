import { describe, expect, it } from 'vitest';
import { normalizeErrorCode, normalizeServerError } from '../../../src/adapters/khala/error-normalize.js';
import type { JsonObject } from '../../../src/util/json.js';
import { frame, joinedSession, push } from './helpers.js';

function ok(raw: JsonObject) {
  const r = normalizeServerError(raw, 'sync:error');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const FULL_STALE: JsonObject = {
  code: 'stale_cursor',
  message: 'cursor is older than retention floor',
  full_resync_required: true,
  reason_codes: ['retention_floor_breach'],
  snapshot_plan: {
    format: 'openagents.sync.snapshot.v1',
    topics: [{ topic: 'runtime.run_summaries', head_watermark: 90, snapshot: { topic: 'runtime.run_summaries', format: 'openagents.sync.snapshot.v1', schema_version: 1, cadence_seconds: 300, source_table: 'runtime.sync_run_summaries' } }],
  },
  stale_topics: [{ topic: 'runtime.run_summaries', reason: 'retention_floor_breach', qos_tier: 'warm', resume_after: 10, retention_floor: 42, head_watermark: 90, replay_lag: 80, replay_budget_events: 20000 }],
};

describe('normalizeErrorCode', () => {
  it.each([
    ['SYNC_ERROR_CODE_STALE_CURSOR', 'stale_cursor'],
    ['SYNC_ERROR_CODE_SLOW_CONSUMER', 'slow_consumer'],
    ['SYNC_ERROR_CODE_FORBIDDEN_STREAM', 'forbidden_topic'],
    ['FORBIDDEN_STREAM', 'forbidden_topic'],
    ['forbidden_topic', 'forbidden_topic'],
    ['stale_cursor', 'stale_cursor'],
    ['SYNC_ERROR_CODE_', 'unspecified'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeErrorCode(input)).toBe(expected);
  });
});

describe('normalizeServerError', () => {
  it('maps the full §3.2 stale_cursor payload', () => {
    expect(ok(FULL_STALE)).toEqual({
      code: 'stale_cursor',
      message: 'cursor is older than retention floor',
      fullResyncRequired: true,
      staleTopics: [{ topic: 'runtime.run_summaries', reason: 'retention_floor_breach', resumeAfter: 10, retentionFloor: 42, headWatermark: 90 }],
      snapshotHeads: { 'runtime.run_summaries': 90 },
      topic: undefined,
      action: undefined,
      retryAfterMs: undefined,
      forbiddenTopics: [],
      raw: FULL_STALE,
    });
  });

  it('accepts any subset of stale_topics fields (K1/TS minimal shape)', () => {
    const e = ok({ code: 'stale_cursor', full_resync_required: true, stale_topics: [{ topic: 'a', retention_floor: 3 }, { topic: 'b' }] });
    expect(e.message).toBeUndefined();
    expect(e.staleTopics).toEqual([
      { topic: 'a', reason: undefined, resumeAfter: undefined, retentionFloor: 3, headWatermark: undefined },
      { topic: 'b', reason: undefined, resumeAfter: undefined, retentionFloor: undefined, headWatermark: undefined },
    ]);
  });

  it('accepts the minimal proto Error shape and takes the larger retry floor', () => {
    expect(ok({ code: 'rate_limited', retry_after_ms: 1500 })).toMatchObject({ code: 'rate_limited', retryAfterMs: 1500, fullResyncRequired: false });
    expect(ok({ code: 'slow_consumer', reconnect_after_ms: 2000, retry_after_ms: 500 }).retryAfterMs).toBe(2000);
    expect(ok({ code: 'internal', message: null, retry_after_ms: null })).toMatchObject({ message: undefined, retryAfterMs: undefined });
  });

  it('maps forbidden_topic, slow_consumer disconnect and reauth_required', () => {
    expect(ok({ code: 'forbidden_topic', forbidden_topics: ['runtime.unknown_topic'] }).forbiddenTopics).toEqual(['runtime.unknown_topic']);
    expect(ok({ code: 'slow_consumer', action: 'disconnect', topic: 't', full_resync_required: true })).toMatchObject({ action: 'disconnect', topic: 't', fullResyncRequired: true });
    expect(ok({ code: 'slow_consumer', action: 'explode' }).action).toBeUndefined();
    expect(ok({ code: 'reauth_required', reauth_required: true, reason: 'user_requested' }).code).toBe('reauth_required');
  });

  it('derives a code from a Phoenix reason when code is absent', () => {
    expect(ok({ reason: 'unmatched topic' }).code).toBe('unmatched_topic');
  });

  it('refuses payloads without a code or with mistyped fields, naming the field', () => {
    const cases: [JsonObject, string][] = [
      [{ message: 'x' }, 'code'],
      [{ code: '' }, 'code'],
      [{ code: 5 }, 'code'],
      [{ code: 'stale_cursor', stale_topics: [{ resume_after: 1 }] }, 'stale_topics[0].topic'],
      [{ code: 'stale_cursor', stale_topics: [{ topic: 'a', retention_floor: -1 }] }, 'stale_topics[0].retention_floor'],
      [{ code: 'x', retry_after_ms: '10' }, 'retry_after_ms'],
      [{ code: 'x', full_resync_required: 'yes' }, 'full_resync_required'],
    ];
    for (const [raw, field] of cases) {
      const r = normalizeServerError(raw, 'sync:error');
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid_payload');
        expect(r.error.message).toContain(`sync:error: invalid ${field}`);
      }
    }
  });

  it('keeps a __proto__-named stale topic as plain data', () => {
    const e = ok({ code: 'stale_cursor', snapshot_plan: { topics: [{ topic: '__proto__', head_watermark: 3 }] } });
    expect(Object.getPrototypeOf(e.snapshotHeads)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(e.snapshotHeads, '__proto__')?.value).toBe(3);
  });
});

describe('stale_cursor triple (reply + sync:error + ERROR frame)', () => {
  it('reaches the sink as one subscribeFailed and one serverError', () => {
    const s = joinedSession();
    const id = s.session.subscribe(['runtime.run_summaries'], { 'runtime.run_summaries': 10 });
    s.receive(push('sync:error', FULL_STALE));
    s.receive(push('sync:frame', frame('runtime.run_summaries', 0, 'KHALA_FRAME_KIND_ERROR', FULL_STALE)));
    s.receive(['1', '2', 'sync:v1', 'phx_reply', { status: 'error', response: FULL_STALE }]);
    expect(s.sink.calls.map((c) => c.type)).toEqual(['serverError', 'subscribeFailed']);
    const [failed] = s.sink.of('subscribeFailed');
    expect(failed?.requestId).toBe(id);
    expect(failed?.error.staleTopics[0]?.retentionFloor).toBe(42);
  });
});
