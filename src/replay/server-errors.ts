import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import { ServerError } from '../errors/server-error.js';
import type { ReplayInput } from './events.js';
import { resumeCursor, snapshotFor, startRecovery } from './recovery.js';
import type { Draft, ReplayContext } from './transitions.js';
import type { SyncErrorPayload } from '../model/types.js';

// What errors from the server do to the replay: refused subscribes and pushed errors (stale
// cursors, slow consumers, connection-level and stop codes). The transitions for every other
// input are in transitions.ts.

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
    const viaSnapshot = snapshotFor(name, error, ctx.hasSnapshotSource);
    startRecovery(d, t, error, viaSnapshot);
    if (!viaSnapshot) resubscribe.push(name);
  }
  return resubscribe;
}

/** A refused subscribe (SPEC.md S5–S7, R1–R2): fail, recover or resubscribe its topics, or reconnect. */
export function onSubscribeFailed(d: Draft, input: Extract<ReplayInput, { type: 'subscribe_failed' }>, ctx: ReplayContext): void {
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
    d.add({ type: 'reconnect', afterMs: undefined, reason: 'unreadable_reply' });
    return;
  }
  onConnectionLevelError(d, error, true);
}

/** Errors that concern the whole connection rather than one topic; `lost`: a request went unanswered. */
function onConnectionLevelError(d: Draft, error: SyncErrorPayload, lost = false): void {
  if (STOP_CODES.has(error.code)) {
    d.add({ type: 'stop', error: serverError(error) });
    return;
  }
  const reconnect = lost || RECONNECT_CODES.has(error.code);
  d.emitError(serverError(error, undefined, reconnect));
  if (reconnect) d.add({ type: 'reconnect', afterMs: error.retryAfterMs, reason: error.code });
}

/** A pushed error (SPEC.md R1, R9, R10, C1–C2): recover the stale topics, throttle, reconnect or stop. */
export function onServerError(d: Draft, error: SyncErrorPayload, ctx: ReplayContext): void {
  if (error.code === ErrorCodes.STALE_CURSOR) {
    // A subscribe still waiting for its reply gets the same payload there; act once, on the reply.
    const pending = [...d.pending.values()].flat();
    const candidates = error.staleTopics.map((s) => s.topic).filter((n) => d.topics.has(n) && !pending.includes(n));
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
      d.add({ type: 'reconnect', afterMs: error.retryAfterMs ?? 2000, reason: 'slow_consumer' });
    } else if (error.topic !== undefined && d.topics.get(error.topic)?.phase === 'live') {
      // Without a cursor the server replays from what this socket delivered, which covers the
      // live notification it dropped (§3.2).
      d.subscribe([error.topic], error.topic);
    }
    return;
  }
  if (error.code === ErrorCodes.SEQ_OUT_OF_RANGE && error.topic !== undefined) {
    // Every later seq of the topic is out of range too: fail it once rather than refuse it forever.
    d.fail(error.topic, ErrorCodes.SEQ_OUT_OF_RANGE, error.message!, error);
    return;
  }
  if (error.fullResyncRequired && error.topic !== undefined && d.topics.has(error.topic) && !STOP_CODES.has(error.code)) {
    d.subscribe(recoverStale(d, error, ctx, [error.topic], undefined));
    d.emitError(serverError(error, error.topic, true));
    return;
  }
  onConnectionLevelError(d, error);
}
