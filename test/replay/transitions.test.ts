import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SnapshotError } from '../../src/errors/snapshot-error.js';
import type { ReplayEffect, ReplayInput } from '../../src/replay/events.js';
import { createReplayState, type ReplayState } from '../../src/replay/state.js';
import { transition, type ReplayContext } from '../../src/replay/transitions.js';
import { errorPayload, stale } from './helpers.js';

const A = 'runtime.run_summaries';
const B = 'runtime.codex_worker_summaries';
const E = 'runtime.codex_worker_events';

/** Run inputs in order, answering each subscribe effect with a request id like a driver would. */
function run(inputs: ReplayInput[], ctx: ReplayContext = { hasSnapshotSource: true }, start: ReplayState = createReplayState()) {
  let state = start;
  let nextId = 1;
  const effects: ReplayEffect[] = [];
  const queue = [...inputs];
  while (queue.length > 0) {
    const input = queue.shift()!;
    const before = state;
    const frozen = JSON.stringify([...before.topics.entries()]);
    const r = transition(state, input, ctx);
    expect(JSON.stringify([...before.topics.entries()])).toBe(frozen); // the input state is never mutated
    state = r.state;
    for (const e of r.effects) {
      effects.push(e);
      if (e.type === 'subscribe') queue.unshift({ type: 'subscribe_sent', requestId: nextId++, topics: e.topics });
    }
  }
  return { state, effects };
}

const subs = (effects: ReplayEffect[]) => effects.filter((e): e is Extract<ReplayEffect, { type: 'subscribe' }> => e.type === 'subscribe');
const events = (effects: ReplayEffect[], type: string) => effects.filter((e) => e.type === 'emit' && e.event.type === type);
const errors = (effects: ReplayEffect[]) => effects.flatMap((e) => (e.type === 'emit' && e.event.type === 'error' ? [e.event.error.code] : []));

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

describe('recovery (SPEC.md R1–R11)', () => {
  const staleA = stale([{ topic: A, head: 90, floor: 42, resumeAfter: 10 }], true);

  it('R1/R2/R3/R4: three copies make one recovery; fresh topics keep their cursors; snapshot then resume from its head', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [A, B], cursors: { [A]: 10, [B]: 5 } },
      { type: 'ready' },
      { type: 'server_error', error: staleA }, // push, before the reply: ignored
      { type: 'server_error', error: staleA }, // ERROR frame copy: ignored
      { type: 'subscribe_failed', requestId: 1, topics: [A, B], error: staleA },
      { type: 'server_error', error: staleA }, // a late copy while recovering: ignored
      { type: 'snapshot_applied', topic: A, head: 90, documents: 3 },
      { type: 'subscribed', requestId: 2, topics: [B] },
      { type: 'subscribed', requestId: 3, topics: [A] },
    ]);
    expect(effects.filter((e) => e.type === 'fetch_snapshot')).toEqual([{ type: 'fetch_snapshot', topic: A, head: 90, delayMs: 0 }]);
    expect(events(effects, 'stale')).toHaveLength(1);
    expect(subs(effects).map((s) => [s.topics, s.resumeAfter])).toEqual([
      [[A, B], { [A]: 10, [B]: 5 }],
      [[B], { [B]: 5 }],
      [[A], { [A]: 90 }],
    ]);
    expect(state.topics.get(A)).toMatchObject({ phase: 'live', lastApplied: 90, recovery: undefined });
  });

  it('R5: without a snapshot the topic is resubscribed with no resume_after entry, never 0 or the old cursor', () => {
    const { effects, state } = run(
      [{ type: 'subscribe', topics: [E], cursors: { [E]: 10 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [E], error: stale([{ topic: E, floor: 42 }]) }],
      { hasSnapshotSource: false },
    );
    expect(subs(effects).map((s) => s.resumeAfter)).toEqual([{ [E]: 10 }, {}]);
    expect(state.topics.get(E)?.lastApplied).toBe(10); // kept as the duplicate filter
  });

  it('R3: no recovery step deletes the stored cursor (a crash mid-recovery resumes consistently)', () => {
    const { effects, state } = run(
      [
        { type: 'subscribe', topics: [E, A], cursors: { [E]: 12, [A]: 3 } },
        { type: 'ready' },
        { type: 'subscribe_failed', requestId: 1, topics: [E, A], error: stale([{ topic: E }, { topic: A, head: 40 }], true) },
        { type: 'resync', topic: E },
      ],
      { hasSnapshotSource: true },
    );
    expect(effects.map((e) => e.type).filter((t) => !['emit', 'subscribe', 'fetch_snapshot'].includes(t))).toEqual([]);
    expect(state.topics.get(E)?.lastApplied).toBe(12);
    expect(state.topics.get(A)?.lastApplied).toBe(3);
  });

  it('R4: a plan that does not list the topic means no snapshot for it', () => {
    const err = stale([{ topic: E, head: 50 }], true);
    err.snapshotHeads = {};
    const { effects } = run([{ type: 'subscribe', topics: [E], cursors: { [E]: 1 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [E], error: err }]);
    expect(effects.some((e) => e.type === 'fetch_snapshot')).toBe(false);
    expect(subs(effects).at(-1)?.resumeAfter).toEqual({});
  });

  it('R6: stale again for the resubscribe that ends the recovery stops with stale_cursor_loop', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [A], cursors: { [A]: 10 } },
      { type: 'ready' },
      { type: 'subscribe_failed', requestId: 1, topics: [A], error: staleA },
      { type: 'snapshot_applied', topic: A, head: 90, documents: 0 },
      { type: 'subscribe_failed', requestId: 2, topics: [A], error: staleA },
    ]);
    expect(errors(effects)).toEqual(['stale_cursor_loop']);
    expect(state.topics.get(A)?.phase).toBe('failed');
    expect(effects.filter((e) => e.type === 'fetch_snapshot')).toHaveLength(1);
  });

  it('R6: a recovering topic re-sent after a sibling was refused ends its recovery on the new reply', () => {
    const N = 'runtime.notifications';
    const { effects, state } = run(
      [
        { type: 'subscribe', topics: [E, N], cursors: { [E]: 10 } },
        { type: 'ready' },
        { type: 'subscribe_failed', requestId: 1, topics: [E, N], error: stale([{ topic: E, floor: 7 }]) },
        { type: 'subscribe_failed', requestId: 2, topics: [N, E], error: errorPayload('forbidden_topic', { forbiddenTopics: [N] }) },
        { type: 'subscribed', requestId: 3, topics: [E] },
      ],
      { hasSnapshotSource: false },
    );
    expect(subs(effects).map((s) => s.topics)).toEqual([[E, N], [N, E], [E]]);
    expect(state.topics.get(E)).toMatchObject({ phase: 'live', recovery: undefined });
    expect(events(effects, 'caught_up')).toHaveLength(1);
  });

  it('R6: multi-topic stale recovers each topic once', () => {
    const err = stale([{ topic: A, head: 90 }, { topic: B, head: 30 }], true);
    const { effects } = run([{ type: 'subscribe', topics: [A, B], cursors: { [A]: 1, [B]: 1 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A, B], error: err }]);
    expect(effects.filter((e) => e.type === 'fetch_snapshot').map((e) => (e as { topic: string }).topic)).toEqual([A, B]);
  });

  it('R8: snapshot 404 falls back to a cursor-less replay; a retryable failure retries; 403 fails the topic', () => {
    const base: ReplayInput[] = [{ type: 'subscribe', topics: [A], cursors: { [A]: 10 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A], error: staleA }];
    const notFound = new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, 'no snapshot', { topic: A, details: { status: 404 } });
    const replay = run([...base, { type: 'snapshot_failed', topic: A, error: notFound }]);
    expect(subs(replay.effects).at(-1)).toEqual({ type: 'subscribe', topics: [A], resumeAfter: {} });
    const unavailable = new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, 'busy', { topic: A, retryable: true, details: { status: 503 } });
    const retry = run([...base, { type: 'snapshot_failed', topic: A, error: unavailable }]);
    expect(retry.effects.filter((e) => e.type === 'fetch_snapshot')).toHaveLength(2);
    const forbidden = new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, 'forbidden', { topic: A, details: { status: 403 } });
    const failed = run([...base, { type: 'snapshot_failed', topic: A, error: forbidden }]);
    expect(failed.state.topics.get(A)?.phase).toBe('failed');
  });

  it('R10: slow_consumer throttle resubscribes without a cursor; disconnect reconnects no sooner than reconnect_after_ms', () => {
    const live: ReplayInput[] = [{ type: 'subscribe', topics: [A], cursors: { [A]: 3 } }, { type: 'ready' }, { type: 'subscribed', requestId: 1, topics: [A] }];
    const throttle = run([...live, { type: 'server_error', error: errorPayload('slow_consumer', { action: 'throttle', topic: A }) }]);
    expect(subs(throttle.effects).at(-1)).toEqual({ type: 'subscribe', topics: [A], resumeAfter: {} });
    const disc = run([...live, { type: 'server_error', error: errorPayload('slow_consumer', { action: 'disconnect', topic: A, retryAfterMs: 2000, fullResyncRequired: true }) }]);
    expect(disc.effects.filter((e) => e.type === 'reconnect')).toEqual([{ type: 'reconnect', afterMs: 2000, reason: 'slow_consumer' }]);
    expect(disc.effects.some((e) => e.type === 'fetch_snapshot')).toBe(false);
  });

  it('R11: resync starts a recovery on demand', () => {
    const { effects } = run([{ type: 'subscribe', topics: [A], cursors: { [A]: 3 } }, { type: 'ready' }, { type: 'resync', topic: A }]);
    expect(effects.filter((e) => e.type === 'fetch_snapshot')).toHaveLength(1);
  });
});

describe('data never goes backwards (SPEC.md R12)', () => {
  const staleA = stale([{ topic: A, head: 90, floor: 42, resumeAfter: 10 }], true);
  const behind = (effects: ReplayEffect[]) => effects.filter((e): e is Extract<ReplayEffect, { type: 'fetch_snapshot' }> => e.type === 'fetch_snapshot' && e.delayMs > 0).map((e) => e.delayMs);

  it('a snapshot below the cursor (resync) is refused, never stored, and fetched again with a doubling delay', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [A], cursors: { [A]: 80 } },
      { type: 'ready' },
      { type: 'subscribed', requestId: 1, topics: [A] },
      { type: 'resync', topic: A },
      { type: 'snapshot_read', topic: A, head: 10 },
      { type: 'snapshot_read', topic: A, head: 79 },
      { type: 'snapshot_read', topic: A, head: 0 },
    ]);
    expect(errors(effects)).toEqual([ErrorCodes.SNAPSHOT_BEHIND_CURSOR, ErrorCodes.SNAPSHOT_BEHIND_CURSOR, ErrorCodes.SNAPSHOT_BEHIND_CURSOR]);
    expect(effects.some((e) => e.type === 'store_snapshot')).toBe(false);
    expect(behind(effects)).toEqual([1000, 2000, 4000]);
    expect(state.topics.get(A)).toMatchObject({ lastApplied: 80, phase: 'recovering', recovery: { step: 'snapshot', behind: 3 } });
    const err = effects.flatMap((e) => (e.type === 'emit' && e.event.type === 'error' ? [e.event.error] : []))[0]!;
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err).toMatchObject({ topic: A, retryable: true, details: { head: 10, cursor: 80 } });
  });

  it('a snapshot at or above both floors is stored; only then is the cursor moved, and the backoff starts over', () => {
    const { effects, state } = run([
      { type: 'subscribe', topics: [A], cursors: { [A]: 10 } },
      { type: 'ready' },
      { type: 'subscribe_failed', requestId: 1, topics: [A], error: staleA },
      { type: 'snapshot_read', topic: A, head: 89 },
      { type: 'snapshot_read', topic: A, head: 90 },
    ]);
    expect(errors(effects)).toEqual([ErrorCodes.SNAPSHOT_BEHIND_CURSOR]);
    expect(effects.filter((e) => e.type === 'store_snapshot')).toEqual([{ type: 'store_snapshot', topic: A, head: 90 }]);
    // Storing is the driver's; until it reports snapshot_applied nothing moved.
    expect(state.topics.get(A)).toMatchObject({ lastApplied: 10, recovery: { step: 'snapshot', head: 90, behind: 1 } });
    const after = transition(state, { type: 'snapshot_applied', topic: A, head: 90, documents: 1 }, { hasSnapshotSource: true });
    expect(after.state.topics.get(A)).toMatchObject({ lastApplied: 90, recovery: { step: 'resubscribe', behind: 0 } });
  });

  it('below the head the stale error reported is refused even when above the cursor; the delay caps at 30 s', () => {
    const inputs: ReplayInput[] = [{ type: 'subscribe', topics: [A], cursors: { [A]: 10 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A], error: staleA }];
    for (let i = 0; i < 8; i++) inputs.push({ type: 'snapshot_read', topic: A, head: 50 });
    const { effects, state } = run(inputs);
    expect(behind(effects)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(effects.some((e) => e.type === 'store_snapshot')).toBe(false);
    expect(state.topics.get(A)?.lastApplied).toBe(10);
  });

  it('a snapshot nobody waits for (topic unsubscribed or already past its snapshot step) is not stored', () => {
    const { effects } = run([
      { type: 'subscribe', topics: [A], cursors: { [A]: 10 } },
      { type: 'ready' },
      { type: 'subscribed', requestId: 1, topics: [A] },
      { type: 'snapshot_read', topic: A, head: 500 },
      { type: 'resync', topic: A },
      { type: 'unsubscribe', topics: [A] },
      { type: 'snapshot_read', topic: A, head: 500 },
    ]);
    expect(effects.some((e) => e.type === 'store_snapshot')).toBe(false);
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
