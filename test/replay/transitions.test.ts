import { describe, expect, it } from 'vitest';
import type { ReplayInput } from '../../src/replay/events.js';
import { errorPayload, stale } from './helpers.js';
import { A, B, errors, events, run, subs } from './transition-runner.js';

describe('subscription (SPEC.md S1–S7)', () => {
  it('S1: one subscribe on ready; without a snapshot source, topics without a cursor are left out of resume_after', () => {
    const { effects, state } = run([{ type: 'subscribe', topics: [A, B], cursors: { A: 0, [A]: 7 } }, { type: 'ready' }], { hasSnapshotSource: false });
    expect(subs(effects)).toEqual([{ type: 'subscribe', topics: [A, B], resumeAfter: { [A]: 7 } }]);
    expect(state.pending.get(1)).toEqual([A, B]);
  });

  it('S1: with a snapshot source, a topic that never had a cursor is sent with 0 so a pruned journal is reported stale', () => {
    const { effects } = run([{ type: 'subscribe', topics: [A, B], cursors: { [A]: 7 } }, { type: 'ready' }]);
    expect(subs(effects)).toEqual([{ type: 'subscribe', topics: [A, B], resumeAfter: { [A]: 7, [B]: 0 } }]);
  });

  it('S1: the 0 probe answered with stale_cursor bootstraps from the snapshot instead of replaying a partial journal', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [B], cursors: {} },
      { type: 'ready' },
      { type: 'subscribe_failed', requestId: 1, topics: [B], error: stale([{ topic: B, resumeAfter: 0, floor: 40, head: 90 }]) },
    ]);
    expect(effects.filter((e) => e.type === 'fetch_snapshot').map((e) => e.type === 'fetch_snapshot' && e.topic)).toEqual([B]);
    expect(state.topics.get(B)?.phase).toBe('recovering');
  });

  it('S3: caught up from the ok reply when no batch said replay_complete, reported once', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [A], cursors: { [A]: 3 } },
      { type: 'ready' },
      { type: 'subscribed', requestId: 1, topics: [A] },
      { type: 'batch_committed', topic: A, lastApplied: 4, replayComplete: true, head: undefined, cursorAheadReported: false },
    ]);
    expect(events(effects, 'caught_up')).toHaveLength(1);
    expect(state.topics.get(A)?.phase).toBe('live');
  });

  it('S3: replay_complete before the reply reports caught up, and the reply does not repeat it', () => {
    const { effects } = run([
      { type: 'subscribe', topics: [A], cursors: {} },
      { type: 'ready' },
      { type: 'batch_committed', topic: A, lastApplied: 9, replayComplete: true, head: undefined, cursorAheadReported: false },
      { type: 'subscribed', requestId: 1, topics: [A] },
    ]);
    expect(events(effects, 'caught_up')).toEqual([{ type: 'emit', event: { type: 'caught_up', topic: A, watermark: 9 } }]);
  });

  it('S4: a disconnect resets pending requests and the next join resubscribes from the cursor', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [A], cursors: {} },
      { type: 'ready' },
      { type: 'batch_committed', topic: A, lastApplied: 12, replayComplete: false, head: undefined, cursorAheadReported: false },
      { type: 'disconnected' },
      { type: 'ready' },
    ]);
    expect(subs(effects).map((s) => s.resumeAfter)).toEqual([{ [A]: 0 }, { [A]: 12 }]);
    expect(state.pending.size).toBe(1);
  });

  it('S5: forbidden topics fail once; the others are subscribed again on their own', () => {
    const err = errorPayload('forbidden_topic', { forbiddenTopics: [B] });
    const { effects, state } = run([{ type: 'subscribe', topics: [A, B], cursors: { [A]: 2 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A, B], error: err }]);
    expect(subs(effects).map((s) => s.topics)).toEqual([[A, B], [A]]);
    expect(state.topics.get(B)?.phase).toBe('failed');
    expect(errors(effects)).toEqual(['forbidden_topic']);
  });

  it('S6: bad_subscription fails the topics without retrying', () => {
    const { effects } = run([{ type: 'subscribe', topics: [A], cursors: {} }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A], error: errorPayload('bad_subscription') }]);
    expect(subs(effects)).toHaveLength(1);
    expect(errors(effects)).toEqual(['bad_subscription']);
  });

  it('S7: any other refused subscribe reconnects (an unknown code as internal; an unreadable reply without a second error); stop codes still stop', () => {
    const refused = (code: string) => run([{ type: 'subscribe', topics: [A], cursors: {} }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A], error: errorPayload(code) }]).effects;
    for (const [code, reported] of [['payload_too_large', ['payload_too_large']], ['quota_exhausted', ['internal']], ['slow_consumer', ['slow_consumer']], ['invalid_payload', []]] as const) {
      const effects = refused(code);
      expect(errors(effects)).toEqual(reported);
      expect(effects.filter((e) => e.type === 'reconnect')).toHaveLength(1);
    }
    expect(refused('reauth_required').map((e) => e.type)).toEqual(['subscribe', 'stop']);
  });
});

describe('apply bookkeeping (SPEC.md A10)', () => {
  it('A10: cursor_ahead_of_head is remembered for the connection, the highest head seen is kept, a disconnect forgets both', () => {
    const base: ReplayInput[] = [{ type: 'subscribe', topics: [A], cursors: { [A]: 10 } }, { type: 'ready' }];
    const batch = (head: number | undefined, cursorAheadReported: boolean): ReplayInput => ({ type: 'batch_committed', topic: A, lastApplied: 10, replayComplete: false, head, cursorAheadReported });
    const ahead = run([...base, batch(5, true), batch(3, false)]).state.topics.get(A);
    expect(ahead).toMatchObject({ aheadReported: true, headSeen: 5 });
    const seen = run([...base, batch(12, false), batch(4, false), batch(undefined, false)]).state.topics.get(A);
    expect(seen).toMatchObject({ aheadReported: false, headSeen: 12 });
    const after = run([...base, batch(5, true), { type: 'disconnected' }]).state.topics.get(A);
    expect(after).toMatchObject({ aheadReported: false, headSeen: undefined });
  });
});

describe('unsubscribed topics (SPEC.md A9)', () => {
  const unwanted = (topic: string): ReplayInput => ({ type: 'batch_unsubscribed', topic });
  const joined: ReplayInput[] = [{ type: 'subscribe', topics: [A, B], cursors: {} }, { type: 'ready' }];

  it('A9: a batch for a topic never subscribed reports unsubscribed_topic and changes nothing', () => {
    const before = run(joined).state;
    const { state, effects } = run([unwanted('runtime.notifications')], undefined, before);
    expect(errors(effects)).toEqual(['unsubscribed_topic']);
    expect(state.topics).toEqual(before.topics);
  });

  it('A9: a topic the app left on this socket drops its in-flight batches silently, until the next socket', () => {
    const left = run([...joined, { type: 'unsubscribe', topics: [B] }]).state;
    expect(errors(run([unwanted(B), unwanted(B)], undefined, left).effects)).toEqual([]);
    expect(errors(run([{ type: 'disconnected' }, { type: 'ready' }, unwanted(B)], undefined, left).effects)).toEqual(['unsubscribed_topic']);
    const back = run([{ type: 'subscribe', topics: [B], cursors: {} }, { type: 'unsubscribe', topics: [B] }], undefined, left).state;
    expect(errors(run([unwanted(B)], undefined, back).effects)).toEqual([]);
  });

  it('A9: unsubscribing before the socket joined leaves nothing in flight: a later batch is reported', () => {
    const { effects } = run([{ type: 'subscribe', topics: [A, B], cursors: {} }, { type: 'unsubscribe', topics: [B] }, { type: 'ready' }, unwanted(B)]);
    expect(errors(effects)).toEqual(['unsubscribed_topic']);
  });
});


describe('connection-level errors (SPEC.md C1–C2)', () => {
  it('C1: upgrade_required and reauth_required stop', () => {
    for (const code of ['upgrade_required', 'reauth_required', 'unsupported_schema_version']) {
      const { effects } = run([{ type: 'subscribe', topics: [A], cursors: {} }, { type: 'ready' }, { type: 'server_error', error: errorPayload(code) }]);
      expect(effects.filter((e) => e.type === 'stop')).toHaveLength(1);
    }
  });
  it('C2: rate_limited reconnects after retry_after_ms', () => {
    const { effects } = run([{ type: 'server_error', error: errorPayload('rate_limited', { retryAfterMs: 1500 }) }]);
    expect(effects.filter((e) => e.type === 'reconnect')).toEqual([{ type: 'reconnect', afterMs: 1500, reason: 'rate_limited' }]);
  });
});
