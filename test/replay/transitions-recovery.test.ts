import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SnapshotError } from '../../src/errors/snapshot-error.js';
import type { ReplayEffect, ReplayInput } from '../../src/replay/events.js';
import { transition } from '../../src/replay/transitions.js';
import { errorPayload, stale } from './helpers.js';
import { A, B, E, errors, events, run, subs } from './transition-runner.js';

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

  it('R8: retryable snapshot failures in a row retry after 1 s, 2 s, 4 s… at most 30 s (a server failing for good was asked every second, for ever)', () => {
    const unavailable = new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, 'busy', { topic: A, retryable: true, details: { status: 503 } });
    const failures: ReplayInput[] = Array.from({ length: 7 }, () => ({ type: 'snapshot_failed', topic: A, error: unavailable }));
    const { effects } = run([{ type: 'subscribe', topics: [A], cursors: { [A]: 10 } }, { type: 'ready' }, { type: 'subscribe_failed', requestId: 1, topics: [A], error: staleA }, ...failures]);
    const delays = effects.flatMap((e) => (e.type === 'fetch_snapshot' ? [e.delayMs] : []));
    expect(delays).toEqual([0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
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
