import type { DisconnectClass } from './disconnect-class.js';

/** Connection half of a health snapshot (the KHALA_PROTOCOL §7.3 health fields, per connection). */
export interface ConnectionHealth {
  /** Wire protocol of the lane (`khala.ws.v1`, `spacetime.sync.v1`, ...). */
  readonly lane: string;
  /** Connection status (`idle`, `connecting`, `joining`, `replaying`, `live`, `backoff`, terminal ones). */
  readonly state: string;
  /** Sockets dialled since the client was created. */
  readonly connectAttempts: number;
  /** Reconnects scheduled since the client was created. */
  readonly reconnectAttempts: number;
  /** Time until the scheduled reconnect, ms; null when none is scheduled. */
  readonly nextRetryMs: number | null;
  /** Class of the latest disconnect; null before the first. */
  readonly lastDisconnectReason: DisconnectClass | null;
  /** Latest reported error (code and message; never a token); null before the first. */
  readonly lastError: { readonly code: string; readonly message: string; readonly at: number } | null;
  /** Time until the token should be refreshed, ms, when the token source schedules refreshes; else null. */
  readonly tokenRefreshDueInMs: number | null;
}

/** One topic (Khala) or stream (Spacetime) of a health snapshot. */
export interface TopicHealth {
  /** The topic's name. */
  readonly topic: string;
  /** Subscription phase (`pending`, `subscribing`, `live`, `recovering`, `failed`). */
  readonly phase: string;
  /** Highest applied (durable) watermark; null when none. */
  readonly watermark: number | null;
  /** Highest server head this client has learned (batches, heartbeats, stale errors, snapshots); null when unknown. */
  readonly serverHead: number | null;
  /** `serverHead − watermark` (a missing watermark counts as 0), never below 0; null while the head is unknown. */
  readonly lag: number | null;
  /** §7.3: `min(cursor, target)·100 / target`, or 100 when the target is 0; null while the head is unknown. */
  readonly replayProgressPct: number | null;
  /** Caught-up has been reported for the current subscription. */
  readonly caughtUp: boolean;
  /** Unix ms of the latest applied batch; null when none since the client started. */
  readonly lastAppliedAt: number | null;
}

/** What `client.metrics.health()` returns and `client.metrics.onHealth` listeners receive (the `clientMetrics()` plug-in). */
export interface ClientHealth {
  /** Unix ms when taken. */
  readonly at: number;
  /** The connection half: status, reconnects, disconnect reasons. */
  readonly connection: ConnectionHealth;
  /** One entry per subscribed topic. */
  readonly topics: readonly TopicHealth[];
}

/**
 * Replay progress in percent (KHALA_PROTOCOL §7.3): `min(cursor, target) × 100 / target`, and 100
 * when the target is 0. Rounded down to one decimal so 99.96 % never shows as 100.
 */
export function replayProgressPct(cursor: number, target: number): number {
  if (target <= 0) return 100;
  return Math.floor((Math.min(Math.max(cursor, 0), target) * 1000) / target) / 10;
}

/** Replay state of one topic, as the driver reports it. */
export interface TopicFacts {
  readonly topic: string;
  readonly phase: string;
  readonly lastApplied: number | undefined;
  readonly caughtUp: boolean;
  /** Head the driver saw on this connection, if any. */
  readonly headSeen: number | undefined;
}

/** Build one topic's health from the driver's facts and what the tracker learned. */
export function topicHealth(t: TopicFacts, learnedHead: number | undefined, lastAppliedAt: number | undefined): TopicHealth {
  let head = maxDefined(learnedHead, t.headSeen);
  // Caught up means the server had nothing newer when it said so: the watermark is a head then.
  if (t.caughtUp) head = maxDefined(head, t.lastApplied);
  const cursor = t.lastApplied ?? 0;
  return {
    topic: t.topic,
    phase: t.phase,
    watermark: t.lastApplied ?? null,
    serverHead: head ?? null,
    lag: head === undefined ? null : Math.max(0, head - cursor),
    replayProgressPct: head === undefined ? null : replayProgressPct(cursor, head),
    caughtUp: t.caughtUp,
    lastAppliedAt: lastAppliedAt ?? null,
  };
}

/** The larger of two optional numbers. */
export function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** One line for a terminal (`tail --health`): state, retry, then each topic's watermark/head/lag. */
export function healthLine(h: ClientHealth): string {
  const c = h.connection;
  const parts = [`${c.state}`, `connects=${c.connectAttempts}`, `reconnects=${c.reconnectAttempts}`];
  if (c.nextRetryMs !== null) parts.push(`retry_in=${c.nextRetryMs}ms`);
  if (c.lastDisconnectReason !== null) parts.push(`last_disconnect=${c.lastDisconnectReason}`);
  if (c.lastError !== null) parts.push(`last_error=${c.lastError.code}`);
  // Under 10 s in ms: short-lived test tokens refresh every few hundred ms.
  if (c.tokenRefreshDueInMs !== null) parts.push(`token_refresh_in=${c.tokenRefreshDueInMs < 10_000 ? `${Math.round(c.tokenRefreshDueInMs)}ms` : `${Math.round(c.tokenRefreshDueInMs / 1000)}s`}`);
  for (const t of h.topics) {
    parts.push(`| ${t.topic} ${t.phase} wm=${t.watermark ?? '-'} head=${t.serverHead ?? '-'} lag=${t.lag ?? '-'} ${t.replayProgressPct === null ? '-' : `${t.replayProgressPct}%`}${t.caughtUp ? ' caught_up' : ''}`);
  }
  return parts.join(' ');
}
