import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import type { Draft } from './transitions.js';
import type { TopicState } from './state.js';
import type { StaleTopic, SyncErrorPayload } from '../model/types.js';
import { ownValue } from '../util/records.js';

/** The facts of one stale topic taken from an error, whichever fields the producer sent. */
export function staleFacts(error: SyncErrorPayload, topic: string): { info: StaleTopic | undefined; head: number | undefined } {
  const info = error.staleTopics.find((s) => s.topic === topic);
  // §14.19: prefer stale_topics[].head_watermark over the snapshot plan's head.
  const head = info?.headWatermark ?? (error.snapshotHeads === undefined ? undefined : ownValue(error.snapshotHeads, topic));
  return { info, head };
}

/**
 * Whether a snapshot should be used for `topic`: only with a snapshot source, and, when the error
 * carries a `snapshot_plan`, only for topics that plan lists (event topics have no snapshot).
 */
export function snapshotFor(topic: string, error: SyncErrorPayload | undefined, hasSnapshotSource: boolean): boolean {
  if (!hasSnapshotSource) return false;
  const heads = error?.snapshotHeads;
  return heads === undefined || Object.hasOwn(heads, topic);
}

/**
 * Start recovery of one topic (KHALA_PROTOCOL §7.5 steps 2–3). The stored cursor is kept until the
 * recovery replaces it (snapshot) or advances it (replay): see SPEC.md R3. Sets the topic's new
 * state in `d` and adds its effects; the caller resubscribes non-snapshot topics with the rest of
 * the request.
 */
export function startRecovery(d: Draft, t: TopicState, error: SyncErrorPayload | undefined, viaSnapshot: boolean): void {
  const { info, head } = error ? staleFacts(error, t.topic) : { info: undefined, head: undefined };
  d.emit({ type: 'stale', topic: t.topic, reason: info?.reason ?? error?.code, resumeAfter: info?.resumeAfter ?? t.lastApplied, retentionFloor: info?.retentionFloor, headWatermark: head });
  if (viaSnapshot) d.add({ type: 'fetch_snapshot', topic: t.topic, head, delayMs: 0 });
  d.set({ ...t, phase: 'recovering', caughtUp: false, recovery: { step: viaSnapshot ? 'snapshot' : 'resubscribe', head, viaSnapshot, requestId: undefined, behind: 0 } });
}

/**
 * The cursor to send for a topic, or undefined to leave it out of `resume_after`. A topic
 * recovering without a snapshot is always sent without one: resending the old cursor, or 0, would
 * be stale again forever (§5.5 loop hazard). A topic that has never had a cursor is sent with 0
 * when a snapshot source exists, so the server's freshness check says whether the whole journal
 * is still there: if not, `stale_cursor` leads to a snapshot bootstrap instead of a silent partial
 * replay (SPEC.md S1).
 */
export function resumeCursor(t: TopicState, hasSnapshotSource: boolean): number | undefined {
  if (t.recovery !== undefined && !t.recovery.viaSnapshot) return undefined;
  if (t.lastApplied === undefined && hasSnapshotSource && t.recovery === undefined) return 0;
  return t.lastApplied;
}

/**
 * What a failed snapshot leads to (SPEC.md R8): a retryable failure (network, 5xx, 429 after
 * `Retry-After`, a generation moving too often) is retried; 404 (no snapshot for that topic) falls
 * back to a cursor-less replay (R5); anything else (401 after a refresh, 403, `bad_snapshot`) fails
 * the topic.
 */
export function snapshotFallback(error: KhalaSyncError): 'retry' | 'replay' | 'fail' {
  if (error.retryable) return 'retry';
  return error.details['status'] === 404 ? 'replay' : 'fail';
}

/** First retry delay after a snapshot refused as behind the cursor or failed retryably; it doubles up to {@link BEHIND_RETRY_MAX_MS}. */
export const BEHIND_RETRY_MS = 1000;
/** Longest wait between two fetches of a snapshot that keeps coming back behind the cursor or failing. */
export const BEHIND_RETRY_MAX_MS = 30_000;

/**
 * Whether a snapshot read at `head` may replace the topic (SPEC.md R12): never when it is below the
 * watermark the client holds, nor below the head the stale error reported — applying it would
 * rewind the cursor, put older documents over newer ones, and let the replay from its head deliver
 * again updates the app already had. Returns the refusal, or undefined to accept.
 */
export function snapshotBehind(t: TopicState, head: number): SnapshotError | undefined {
  const cursor = t.lastApplied;
  const reported = t.recovery?.head;
  const floor = Math.max(cursor ?? 0, reported ?? 0);
  if (head >= floor) return undefined;
  return new SnapshotError(ErrorCodes.SNAPSHOT_BEHIND_CURSOR, `snapshot of ${t.topic} at head ${head} is behind ${floor} (cursor or reported head); not applied`, {
    topic: t.topic,
    retryable: true,
    details: { head, cursor, reportedHead: reported },
  });
}

/** Delay before fetching again after the `n`-th refusal or failure in a row (1-based): 1 s, 2 s, 4 s… at most 30 s. */
export function behindRetryMs(n: number): number {
  return Math.min(BEHIND_RETRY_MS * 2 ** Math.min(n - 1, 16), BEHIND_RETRY_MAX_MS);
}
