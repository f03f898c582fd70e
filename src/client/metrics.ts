import type { LaneNotice } from '../adapters/lane.js';
import type { ReplayEvent } from '../replay/events.js';
import { emptyRecord } from '../util/records.js';

/** Counters a client keeps for local checks and rollout gates (KHALA_PROTOCOL §10). */
export interface SyncMetrics {
  /** Updates applied (committed). */
  applied: number;
  /** Updates dropped as already applied (double emission, replays, duplicates). */
  duplicatesDropped: number;
  /** Applied updates whose watermark jumped by more than 1. */
  gapsSeen: number;
  /** stale_cursor recoveries started. */
  staleRecoveries: number;
  /** Snapshots applied. */
  bootstraps: number;
  /** Reconnects scheduled (every backoff). */
  reconnects: number;
  /** Inbound frames refused (protocol errors). */
  framesRejected: number;
  /** Inbound frames refused, by the error code reported (any code, including ones added later). */
  framesRejectedByCode: Record<string, number>;
  /** Applied updates whose document was kept out because the held doc_version is newer (§7.4 rule 4). */
  conflicts: number;
  /** Updates that repeated an applied `(topic, seq)` with another `payload_hash` (SPEC.md A13); the first copy was kept. */
  payloadConflicts: number;
  /** Pointer-mode document fetches started. */
  hydrationFetches: number;
  /** Pointer-mode document fetches that failed. */
  hydrationFailures: number;
  /** Per subscribed topic: ms from the subscribe being sent to the latest caught-up (an unsubscribed topic's entry is dropped). */
  timeToCaughtUpMs: Record<string, number>;
  /** Replies that answered no request of ours (Spacetime one-off queries, reducer calls): ignored. */
  unmatchedReplies: number;
  /** Requests whose reply never came in time (Spacetime one-off queries, reducer calls). */
  replyTimeouts: number;
  /** Streams found stale from the head probe (Spacetime). */
  headGapsStale: number;
  /** Checkpoint acks the server committed (Spacetime, opt-in). */
  checkpointAcks: number;
  /** Checkpoint acks that failed or timed out and are retried (Spacetime, opt-in). */
  checkpointAckFailures: number;
  /** Times the socket stopped being read because the inbound backlog exceeded `maxInboundBytes`. */
  inboundPauses: number;
  /** Times a socket that cannot pause went over `maxInboundBytes` and was replaced. */
  inboundOverflows: number;
  /** Sockets replaced ahead of token expiry (make-before-break). */
  tokenRefreshes: number;
  /** Token refresh attempts that failed (the old socket was kept). */
  tokenRefreshFailures: number;
}

/** Counters of lane notices, kept by the connection. */
type LaneCounters = 'unmatchedReplies' | 'replyTimeouts' | 'headGapsStale' | 'checkpointAcks' | 'checkpointAckFailures' | 'tokenRefreshes' | 'tokenRefreshFailures';

/** Counters of the inbound budget, kept by the connection. */
type FlowCounters = 'inboundPauses' | 'inboundOverflows';

/** The counters the replay driver owns (the connection owns `reconnects` and `framesRejected`). */
export type DriverMetrics = Omit<SyncMetrics, 'reconnects' | 'framesRejected' | 'framesRejectedByCode' | LaneCounters | FlowCounters>;

/** The counters the connection owns (lane notices included). */
export type ConnectionMetrics = Pick<SyncMetrics, 'reconnects' | 'framesRejected' | 'framesRejectedByCode' | LaneCounters | FlowCounters>;

/** Zeroed replay driver counters. */
export function driverMetrics(): DriverMetrics {
  return { applied: 0, duplicatesDropped: 0, gapsSeen: 0, staleRecoveries: 0, bootstraps: 0, conflicts: 0, payloadConflicts: 0, hydrationFetches: 0, hydrationFailures: 0, timeToCaughtUpMs: emptyRecord() };
}

/**
 * Count one event the replay machine emitted into `m`. A caught-up's time is measured from the
 * topic's latest subscribe in `sent` (none recorded: not timed).
 */
export function countEvent(m: DriverMetrics, event: ReplayEvent, sent: ReadonlyMap<string, { at: number }>): void {
  if (event.type === 'stale') m.staleRecoveries++;
  else if (event.type === 'bootstrap') m.bootstraps++;
  else if (event.type === 'caught_up') {
    const at = sent.get(event.topic)?.at;
    if (at !== undefined) m.timeToCaughtUpMs[event.topic] = Date.now() - at;
  }
}

/** Zeroed connection counters. */
export function connectionMetrics(): ConnectionMetrics {
  return { reconnects: 0, framesRejected: 0, framesRejectedByCode: emptyRecord<number>(), unmatchedReplies: 0, replyTimeouts: 0, headGapsStale: 0, checkpointAcks: 0, checkpointAckFailures: 0, tokenRefreshes: 0, tokenRefreshFailures: 0, inboundPauses: 0, inboundOverflows: 0 };
}

/** Count one refused inbound frame into `m`, under the code it was reported with. */
export function countRejected(m: ConnectionMetrics, code: string): void {
  m.framesRejected++;
  m.framesRejectedByCode[code] = (m.framesRejectedByCode[code] ?? 0) + 1;
}

/** Count one lane notice into `m`. */
export function countNotice(m: ConnectionMetrics, n: LaneNotice): void {
  if (n.type === 'unmatched_reply') m.unmatchedReplies++;
  else if (n.type === 'reply_timeout') m.replyTimeouts++;
  else if (n.type === 'head_gap' && n.outcome === 'stale') m.headGapsStale++;
  else if (n.type === 'checkpoint_ack') {
    if (n.outcome === 'acked') m.checkpointAcks++;
    else m.checkpointAckFailures++;
  } else if (n.type === 'token_refresh') {
    if (n.outcome === 'switched') m.tokenRefreshes++;
    else m.tokenRefreshFailures++;
  }
}
