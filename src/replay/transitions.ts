import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { unsubscribedTopic } from './plan-batch.js';
import { ServerError } from '../errors/server-error.js';
import type { ReplayEffect, ReplayEvent, ReplayInput } from './events.js';
import { behindRetryMs, resumeCursor, snapshotBehind, snapshotFallback, snapshotFor, startRecovery } from './recovery.js';
import { newTopicState, type ReplayState, type TopicState } from './state.js';
import type { SyncErrorPayload } from '../model/types.js';
import { emptyRecord, ownValue } from '../util/records.js';

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

/** Codes after which the client stops reconnecting until the app acts (§3.2, §3.4). */
export const STOP_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.UPGRADE_REQUIRED,
  ErrorCodes.REAUTH_REQUIRED,
  ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
  ErrorCodes.UNSUPPORTED_SCHEMA_VERSION,
  ErrorCodes.INVALID_CLIENT_BUILD,
  ErrorCodes.UNSUPPORTED_CLIENT_BUILD,
]);

/** Codes after which the connection is dropped and re-established (new token, backoff). */
const RECONNECT_CODES: ReadonlySet<string> = new Set([ErrorCodes.UNAUTHORIZED, ErrorCodes.RATE_LIMITED, ErrorCodes.INTERNAL, ErrorCodes.UNMATCHED_TOPIC]);

/** Build the typed error for a server payload. */
export function serverError(error: SyncErrorPayload, topic?: string, retryable = false): ServerError {
  const known = (Object.values(ErrorCodes) as string[]).includes(error.code);
  return new ServerError((known ? error.code : ErrorCodes.INTERNAL) as ErrorCode, error.message ?? `server error ${error.code}`, {
    topic: topic ?? error.topic,
    retryable,
    details: { code: error.code, payload: error.raw },
  });
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Mutable working copy used inside one transition; the input state is never touched. The pending
 * requests are copied only when a transition touches them: most inputs (every committed batch)
 * do not, and the next state then shares the input's map, which no transition ever mutates.
 */
class Draft {
  readonly topics: Map<string, TopicState>;
  joined: boolean;
  leaving: ReadonlySet<string>;
  readonly effects: ReplayEffect[] = [];
  private ownPending: Map<number, string[]> | undefined;
  constructor(
    private readonly s: ReplayState,
    private readonly ctx: ReplayContext,
  ) {
    this.topics = new Map(s.topics);
    this.joined = s.joined;
    this.leaving = s.leaving;
  }
  /** In-flight subscribe requests, this transition's own copy (made on first use). */
  get pending(): Map<number, string[]> {
    return (this.ownPending ??= new Map(this.s.pending));
  }
  set(t: TopicState): void {
    this.topics.set(t.topic, t);
  }
  emit(event: ReplayEvent): void {
    this.effects.push({ type: 'emit', event });
  }
  emitError(error: KhalaSyncError): void {
    this.emit({ type: 'error', error });
  }
  /**
   * Subscribe `topics` (those still wanted and not waiting on a snapshot) with their cursors;
   * topics in `withoutCursor` are sent without one.
   */
  subscribe(topics: Iterable<string>, withoutCursor: ReadonlySet<string> = NONE): void {
    const list: string[] = [];
    const resumeAfter: Record<string, number> = emptyRecord();
    for (const name of topics) {
      const t = this.topics.get(name);
      if (t === undefined || t.phase === 'failed' || t.recovery?.step === 'snapshot' || list.includes(name)) continue;
      list.push(name);
      const c = withoutCursor.has(name) ? undefined : resumeCursor(t, this.ctx.hasSnapshotSource);
      if (c !== undefined) resumeAfter[name] = c;
      this.set({ ...t, phase: t.recovery ? 'recovering' : 'subscribing', caughtUp: false });
    }
    if (list.length > 0 && this.joined) this.effects.push({ type: 'subscribe', topics: list, resumeAfter });
  }
  fail(name: string, code: ErrorCode, message: string, error?: SyncErrorPayload): void {
    const t = this.topics.get(name);
    if (t) this.set({ ...t, phase: 'failed', recovery: undefined });
    this.emitError(new ServerError(code, message, { topic: name, details: error ? { payload: error.raw } : {} }));
  }
  done(): Transition {
    return { state: { topics: this.topics, pending: this.ownPending ?? this.s.pending, joined: this.joined, leaving: this.leaving }, effects: this.effects };
  }
}

function pendingIncludes(d: Draft, topic: string): boolean {
  for (const topics of d.pending.values()) if (topics.includes(topic)) return true;
  return false;
}

/** Begin recovery for every stale topic of `error` that is not already recovering. */
function recoverStale(d: Draft, error: SyncErrorPayload, ctx: ReplayContext, candidates: string[], requestId: number | undefined): string[] {
  const resubscribe: string[] = [];
  for (const name of candidates) {
    const t = d.topics.get(name);
    if (t === undefined || t.phase === 'failed') continue;
    if (t.recovery !== undefined) {
      // The resubscribe that ended a recovery went stale again: stop instead of looping (§7.5.5).
      if (requestId !== undefined && t.recovery.requestId === requestId) {
        d.fail(name, ErrorCodes.STALE_CURSOR_LOOP, `topic ${name} went stale again during its recovery; stopped`, error);
      }
      continue; // a second copy of the same stale error
    }
    const r = startRecovery(t, error, snapshotFor(name, error, ctx.hasSnapshotSource));
    d.set(r.topic);
    d.effects.push(...r.effects);
    if (!r.topic.recovery!.viaSnapshot) resubscribe.push(name);
  }
  return resubscribe;
}

function onSubscribeFailed(d: Draft, input: Extract<ReplayInput, { type: 'subscribe_failed' }>, ctx: ReplayContext): void {
  d.pending.delete(input.requestId);
  const { error } = input;
  const wanted = input.topics.filter((n) => d.topics.has(n));
  if (error.code === ErrorCodes.STALE_CURSOR) {
    const named = error.staleTopics.map((s) => s.topic).filter((n) => wanted.includes(n));
    // A minimal producer may omit stale_topics: then every topic sent with a cursor is suspect.
    let stale = named.length > 0 ? named : wanted.filter((n) => resumeCursor(d.topics.get(n)!, ctx.hasSnapshotSource) !== undefined);
    // None of them can be (none named, none sent with a cursor), yet nothing was subscribed: sending the
    // same request again would get the same answer at once, forever. Recover them all, so a second
    // stale answer ends in stale_cursor_loop (R6).
    if (stale.length === 0) stale = wanted;
    const again = recoverStale(d, error, ctx, stale, input.requestId);
    // A stale subscribe subscribes nothing: send the fresh topics again with their cursors (§7.5.4).
    d.subscribe([...wanted.filter((n) => !stale.includes(n)), ...again]);
    return;
  }
  if (error.code === ErrorCodes.FORBIDDEN_TOPIC) {
    // The request was refused: a list that names none of its topics (or no list) refuses them all,
    // else sending the rest again would be refused again at once, in a loop.
    const named = error.forbiddenTopics.filter((x) => wanted.includes(x));
    const forbidden = named.length > 0 ? named : wanted;
    for (const n of forbidden) d.fail(n, ErrorCodes.FORBIDDEN_TOPIC, `topic ${n} is not allowed for this token`, error);
    d.subscribe(wanted.filter((n) => !forbidden.includes(n)));
    return;
  }
  if (error.code === ErrorCodes.BAD_SUBSCRIPTION || error.code === ErrorCodes.BAD_TOPIC) {
    for (const n of wanted) d.fail(n, error.code, `the server refused the subscription (${error.code})`, error);
    return;
  }
  // Any other refusal subscribed nothing, and nothing will answer the request again: its topics
  // would wait forever. Reconnect with backoff (C2), which subscribes them again; an unknown code
  // is handled as the `internal` it is reported as. A reply the lane could not read was reported
  // by the lane (`invalid_payload`): only the reconnect is left to do.
  if (error.code === ErrorCodes.INVALID_PAYLOAD) {
    d.effects.push({ type: 'reconnect', afterMs: undefined, reason: 'unreadable_reply' });
    return;
  }
  onConnectionLevelError(d, error, true);
}

/** Errors that concern the whole connection rather than one topic; `lost`: a request went unanswered. */
function onConnectionLevelError(d: Draft, error: SyncErrorPayload, lost = false): void {
  if (STOP_CODES.has(error.code)) {
    d.effects.push({ type: 'stop', error: serverError(error) });
    return;
  }
  const reconnect = lost || RECONNECT_CODES.has(error.code);
  d.emitError(serverError(error, undefined, reconnect));
  if (reconnect) d.effects.push({ type: 'reconnect', afterMs: error.retryAfterMs, reason: error.code });
}

function onServerError(d: Draft, error: SyncErrorPayload, ctx: ReplayContext): void {
  if (error.code === ErrorCodes.STALE_CURSOR) {
    // A subscribe still waiting for its reply gets the same payload there; act once, on the reply.
    const candidates = error.staleTopics.map((s) => s.topic).filter((n) => d.topics.has(n) && !pendingIncludes(d, n));
    d.subscribe(recoverStale(d, error, ctx, candidates, undefined));
    return;
  }
  if (error.code === ErrorCodes.SLOW_CONSUMER || error.code === ErrorCodes.SLOW_CONSUMER_EVICTED) {
    // An eviction (the lag-strike lanes' third strike) is a disconnect by another name.
    const disconnect = error.action === 'disconnect' || error.code === ErrorCodes.SLOW_CONSUMER_EVICTED;
    d.emitError(serverError(error, error.topic, true));
    if (disconnect) {
      // The journal lost nothing (§3.2): resuming from the cursor is exact, so full_resync_required
      // is not acted on here; a stale resume would take the ordinary recovery path (SPEC.md R10).
      d.effects.push({ type: 'reconnect', afterMs: error.retryAfterMs ?? 2000, reason: 'slow_consumer' });
    } else if (error.topic !== undefined && d.topics.get(error.topic)?.phase === 'live') {
      // Without a cursor the server replays from what this socket delivered, which covers the
      // live notification it dropped (§3.2).
      d.subscribe([error.topic], new Set([error.topic]));
    }
    return;
  }
  if (error.fullResyncRequired && error.topic !== undefined && d.topics.has(error.topic) && !STOP_CODES.has(error.code)) {
    d.subscribe(recoverStale(d, error, ctx, [error.topic], undefined));
    d.emitError(serverError(error, error.topic, true));
    return;
  }
  onConnectionLevelError(d, error);
}

/**
 * The replay state machine: one pure transition per input. The input state is never mutated;
 * effects are instructions for the driver (send, clear a cursor, fetch a snapshot, emit).
 */
export function transition(state: ReplayState, input: ReplayInput, ctx: ReplayContext): Transition {
  const d = new Draft(state, ctx);
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
        d.effects.push({ type: 'unsubscribe', topics: removed });
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
      const t = d.topics.get(input.topic);
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
      const t = d.topics.get(input.topic);
      // Only the snapshot this recovery waits for may be stored (an unsubscribed topic's is dropped).
      if (t?.recovery?.step !== 'snapshot') break;
      const refusal = snapshotBehind(t, input.head);
      if (refusal === undefined) {
        d.effects.push({ type: 'store_snapshot', topic: t.topic, head: input.head });
        break;
      }
      const behind = t.recovery.behind + 1;
      d.set({ ...t, recovery: { ...t.recovery, behind } });
      d.emitError(refusal);
      d.effects.push({ type: 'fetch_snapshot', topic: t.topic, head: t.recovery.head, delayMs: behindRetryMs(behind) });
      break;
    }
    case 'snapshot_applied': {
      const t = d.topics.get(input.topic);
      if (t?.recovery === undefined) break;
      d.set({ ...t, lastApplied: input.head, aheadReported: false, recovery: { ...t.recovery, step: 'resubscribe', head: input.head, behind: 0 } });
      d.emit({ type: 'bootstrap', topic: t.topic, headWatermark: input.head, documents: input.documents });
      d.subscribe([t.topic]);
      break;
    }
    case 'snapshot_failed': {
      const t = d.topics.get(input.topic);
      if (t?.recovery === undefined) break;
      d.emitError(input.error);
      const fallback = snapshotFallback(input.error);
      if (fallback === 'retry') {
        d.effects.push({ type: 'fetch_snapshot', topic: t.topic, head: t.recovery.head, delayMs: 1000 });
      } else if (fallback === 'replay') {
        // No snapshot for this topic after all: replay what the server retains, without a cursor.
        d.set({ ...t, recovery: { ...t.recovery, viaSnapshot: false, step: 'resubscribe' } });
        d.subscribe([t.topic]);
      } else {
        d.set({ ...t, phase: 'failed', recovery: undefined });
      }
      break;
    }
    case 'resync': {
      const t = d.topics.get(input.topic);
      if (t === undefined || t.recovery !== undefined) break;
      const r = startRecovery({ ...t, phase: t.phase === 'failed' ? 'pending' : t.phase }, undefined, ctx.hasSnapshotSource);
      d.set(r.topic);
      d.effects.push(...r.effects);
      if (!ctx.hasSnapshotSource) d.subscribe([t.topic]);
      break;
    }
    case 'disconnected':
      d.joined = false;
      d.pending.clear();
      // The next socket was never asked for the topics the app left: a batch of one is unwanted (A9).
      d.leaving = NONE;
      for (const t of d.topics.values()) {
        const recovery = t.recovery?.step === 'resubscribed' ? { ...t.recovery, step: 'resubscribe' as const } : t.recovery;
        d.set({ ...t, phase: t.phase === 'failed' ? 'failed' : t.recovery ? 'recovering' : 'pending', caughtUp: false, aheadReported: false, headSeen: undefined, recovery });
      }
      break;
  }
  return d.done();
}
