import type { ErrorCode } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { unsubscribedTopic } from './plan-batch.js';
import { ServerError } from '../errors/server-error.js';
import type { ReplayEffect, ReplayEvent, ReplayInput } from './events.js';
import { behindRetryMs, resumeCursor, snapshotBehind, snapshotFallback, startRecovery } from './recovery.js';
import { onServerError, onSubscribeFailed } from './server-errors.js';
import { newTopicState, type Recovery, type ReplayState, type TopicState } from './state.js';
import type { SyncErrorPayload } from '../model/types.js';
import { emptyRecord, ownValue } from '../util/records.js';

// The connection reads the stop codes and builds server errors as the machine does (link-sink.ts).
export { serverError, STOP_CODES } from './server-errors.js';

/** Facts the machine needs about the client's configuration. */
export interface ReplayContext {
  /** True when a snapshot source is configured. */
  hasSnapshotSource: boolean;
}

/** Result of one transition. */
export interface Transition {
  /** The state after the input. */
  state: ReplayState;
  /** What the driver must do for it, in order (store writes, requests, events). */
  effects: ReplayEffect[];
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Mutable working copy used inside one transition; the input state is never touched. The pending
 * requests are copied only when a transition touches them: most inputs (every committed batch)
 * do not, and the next state then shares the input's map, which no transition ever mutates.
 */
export class Draft {
  /** The topics' next states (a copy of the map; entries are replaced, never mutated). */
  readonly topics: Map<string, TopicState>;
  /** The next `joined`. */
  joined: boolean;
  /** The next `leaving` (A9): replaced, never mutated. */
  leaving: ReadonlySet<string>;
  /** The effects so far, in order. */
  readonly effects: ReplayEffect[] = [];
  #pending: Map<number, string[]> | undefined;
  readonly #s: ReplayState;
  readonly #ctx: ReplayContext;
  constructor(s: ReplayState, ctx: ReplayContext) {
    this.#s = s;
    this.#ctx = ctx;
    this.topics = new Map(s.topics);
    this.joined = s.joined;
    this.leaving = s.leaving;
  }
  /** In-flight subscribe requests, this transition's own copy (made on first use). */
  get pending(): Map<number, string[]> {
    return (this.#pending ??= new Map(this.#s.pending));
  }
  /** Replace a topic's state. */
  set(t: TopicState): void {
    this.topics.set(t.topic, t);
  }
  /** Append an effect. */
  add(effect: ReplayEffect): void {
    this.effects.push(effect);
  }
  /** Report `event` to the app. */
  emit(event: ReplayEvent): void {
    this.add({ type: 'emit', event });
  }
  /** Report `error` to the app. */
  emitError(error: KhalaSyncError): void {
    this.emit({ type: 'error', error });
  }
  /**
   * Subscribe `topics` (those still wanted and not waiting on a snapshot) with their cursors;
   * the topic `withoutCursor` is sent without one.
   */
  subscribe(topics: Iterable<string>, withoutCursor?: string): void {
    const list: string[] = [];
    const resumeAfter: Record<string, number> = emptyRecord();
    for (const name of topics) {
      const t = this.topics.get(name);
      if (t === undefined || t.phase === 'failed' || t.recovery?.step === 'snapshot' || list.includes(name)) continue;
      list.push(name);
      const c = name === withoutCursor ? undefined : resumeCursor(t, this.#ctx.hasSnapshotSource);
      if (c !== undefined) resumeAfter[name] = c;
      this.set({ ...t, phase: t.recovery ? 'recovering' : 'subscribing', caughtUp: false });
    }
    if (list.length > 0 && this.joined) this.add({ type: 'subscribe', topics: list, resumeAfter });
  }
  /** Fail a topic for good (no retry) and report why. */
  fail(name: string, code: ErrorCode, message: string, error?: SyncErrorPayload): void {
    const t = this.topics.get(name);
    if (t) this.set({ ...t, phase: 'failed', recovery: undefined });
    this.emitError(new ServerError(code, message, { topic: name, details: error ? { payload: error.raw } : {} }));
  }
  /** The transition's result. */
  done(): Transition {
    return { state: { topics: this.topics, pending: this.#pending ?? this.#s.pending, joined: this.joined, leaving: this.leaving }, effects: this.effects };
  }
}

/**
 * The replay state machine: one pure transition per input. The input state is never mutated;
 * effects are instructions for the driver (send, clear a cursor, fetch a snapshot, emit).
 */
export function transition(state: ReplayState, input: ReplayInput, ctx: ReplayContext): Transition {
  const d = new Draft(state, ctx);
  // The topic the input names, if it names one (and it is still subscribed).
  const t = 'topic' in input ? d.topics.get(input.topic) : undefined;
  // R8/R12: fetch the snapshot again later, waiting longer after each refusal or failure in a row,
  // so a server failing for good is asked less and less often.
  const refetch = (r: Recovery): void => {
    const behind = r.behind + 1;
    d.set({ ...t!, recovery: { ...r, behind } });
    d.add({ type: 'fetch_snapshot', topic: t!.topic, head: r.head, delayMs: behindRetryMs(behind) });
  };
  switch (input.type) {
    case 'subscribe': {
      const added = input.topics.filter((n) => !d.topics.has(n));
      for (const n of added) d.set(newTopicState(n, ownValue(input.cursors, n)));
      d.subscribe(added);
      break;
    }
    case 'unsubscribe': {
      const removed = input.topics.filter((n) => d.topics.delete(n));
      if (removed.length > 0 && d.joined) {
        d.add({ type: 'unsubscribe', topics: removed });
        // The server may have sent batches of these before it saw the unsubscribe (A9).
        d.leaving = new Set([...d.leaving, ...removed]);
      }
      break;
    }
    case 'batch_unsubscribed':
      if (!d.leaving.has(input.topic)) d.emitError(unsubscribedTopic(input.topic));
      break;
    case 'ready':
      d.joined = true;
      d.subscribe(d.topics.keys());
      break;
    case 'subscribe_sent': {
      d.pending.set(input.requestId, input.topics);
      for (const n of input.topics) {
        const t = d.topics.get(n);
        // The latest request carrying a recovering topic is the one whose reply ends the recovery
        // (it may be re-sent, e.g. after a sibling topic was refused).
        if (t?.recovery !== undefined && t.recovery.step !== 'snapshot') d.set({ ...t, recovery: { ...t.recovery, step: 'resubscribed', requestId: input.requestId } });
      }
      break;
    }
    case 'subscribed': {
      d.pending.delete(input.requestId);
      for (const n of input.topics) {
        const t = d.topics.get(n);
        if (t === undefined || t.phase === 'failed' || t.recovery?.step === 'snapshot') continue;
        if (t.recovery !== undefined && t.recovery.requestId !== input.requestId) continue;
        if (!t.caughtUp) d.emit({ type: 'caught_up', topic: n, watermark: t.lastApplied });
        d.set({ ...t, phase: 'live', caughtUp: true, recovery: undefined });
      }
      break;
    }
    case 'subscribe_failed':
      onSubscribeFailed(d, input, ctx);
      break;
    case 'server_error':
      onServerError(d, input.error, ctx);
      break;
    case 'batch_committed': {
      if (t === undefined) break;
      // A10 bookkeeping: report cursor_ahead_of_head once per connection, and remember the highest
      // head this connection has shown (a lower one after it is a late copy, not a reset server).
      const head = input.head !== undefined && (t.headSeen === undefined || input.head > t.headSeen) ? input.head : t.headSeen;
      const next: TopicState = { ...t, lastApplied: input.lastApplied, aheadReported: t.aheadReported || input.cursorAheadReported, headSeen: head };
      if (input.replayComplete && !t.caughtUp && t.phase === 'subscribing') {
        d.emit({ type: 'caught_up', topic: t.topic, watermark: input.lastApplied });
        next.caughtUp = true;
        next.phase = 'live';
      }
      d.set(next);
      break;
    }
    case 'snapshot_read': {
      // Only the snapshot this recovery waits for may be stored (an unsubscribed topic's is dropped).
      if (t?.recovery?.step !== 'snapshot') break;
      const refusal = snapshotBehind(t, input.head);
      if (refusal === undefined) {
        d.add({ type: 'store_snapshot', topic: t.topic, head: input.head });
        break;
      }
      d.emitError(refusal);
      refetch(t.recovery);
      break;
    }
    case 'snapshot_applied': {
      if (t?.recovery === undefined) break;
      d.set({ ...t, lastApplied: input.head, aheadReported: false, recovery: { ...t.recovery, step: 'resubscribe', head: input.head, behind: 0 } });
      d.emit({ type: 'bootstrap', topic: t.topic, headWatermark: input.head, documents: input.documents });
      d.subscribe([t.topic]);
      break;
    }
    case 'snapshot_failed': {
      if (t?.recovery === undefined) break;
      if (input.error.source === 'store' && !input.error.retryable) {
        // C5: a store that cannot go on stops the client; after connect() the topic starts over
        // from its stored cursor (stale again: a new recovery), so nothing is lost.
        d.set({ ...t, phase: 'pending', recovery: undefined });
        d.add({ type: 'stop', error: input.error });
        break;
      }
      d.emitError(input.error);
      const fallback = snapshotFallback(input.error);
      if (fallback === 'retry') refetch(t.recovery);
      else if (fallback === 'replay') {
        // No snapshot for this topic after all: replay what the server retains, without a cursor.
        d.set({ ...t, recovery: { ...t.recovery, viaSnapshot: false, step: 'resubscribe' } });
        d.subscribe([t.topic]);
      } else {
        d.set({ ...t, phase: 'failed', recovery: undefined });
      }
      break;
    }
    case 'resync': {
      if (t === undefined || t.recovery !== undefined) break;
      startRecovery(d, { ...t, phase: t.phase === 'failed' ? 'pending' : t.phase }, undefined, ctx.hasSnapshotSource);
      if (!ctx.hasSnapshotSource) d.subscribe([t.topic]);
      break;
    }
    case 'disconnected':
      d.joined = false;
      d.pending.clear();
      // The next socket was never asked for the topics the app left: a batch of one is unwanted (A9).
      d.leaving = NONE;
      for (const x of d.topics.values()) {
        const recovery = x.recovery?.step === 'resubscribed' ? { ...x.recovery, step: 'resubscribe' as const } : x.recovery;
        d.set({ ...x, phase: x.phase === 'failed' ? 'failed' : x.recovery ? 'recovering' : 'pending', caughtUp: false, aheadReported: false, headSeen: undefined, recovery });
      }
      break;
  }
  return d.done();
}
