import { classifyDisconnect, type DisconnectClass } from './disconnect-class.js';
import { maxDefined, topicHealth, type ClientHealth, type TopicFacts } from './health.js';
import { hasOwn } from '../util/records.js';

/** What the tracker reads from the client core when asked for health. */
export interface HealthSource {
  /** Wire protocol of the lane. */
  readonly lane: string;
  topics(): Iterable<TopicFacts>;
  /** Connection status now. */
  state(): string;
  /** Unix ms when the token should next be refreshed, when the token source schedules it. */
  tokenRefreshAt?(): number | undefined;
}

/**
 * The facts behind `client.health()`: connect and reconnect attempts, the latest disconnect class
 * and error, the server heads learned and when each topic last applied. Part of the client core
 * (cheap: a few fields, fed once per event, never per update); the metrics registry is the opt-in
 * `clientMetrics()` plug-in (khala-sync/observability).
 */
export class HealthTracker {
  #connectAttempts = 0;
  #reconnectAttempts = 0;
  #nextRetryAt: number | undefined;
  #lastDisconnect: DisconnectClass | undefined;
  #lastError: { code: string; message: string; at: number } | undefined;
  // Made on first write: an idle client that has learned nothing holds no maps.
  private heads: Map<string, number> | undefined;
  private appliedAt: Map<string, number> | undefined;

  readonly #core: HealthSource;

  constructor(core: HealthSource) {
    this.#core = core;
  }

  /** The connection changed status. */
  onStatus(status: string): void {
    if (status === 'connecting') this.#connectAttempts++;
    else if (status === 'auth_required' || status === 'upgrade_required' || status === 'incompatible_server') this.#lastDisconnect = status === 'auth_required' ? 'unauthorized' : 'upgrade_required';
    else if (status !== 'closed') return;
    this.#nextRetryAt = undefined;
  }

  /** A reconnect was scheduled after `delayMs` because of `reason`; returns the disconnect class. */
  onReconnecting(delayMs: number, reason: string, now = Date.now()): DisconnectClass {
    const cls = classifyDisconnect(reason);
    this.#reconnectAttempts++;
    this.#lastDisconnect = cls;
    this.#nextRetryAt = now + delayMs;
    return cls;
  }

  /** Any reported error. */
  onError(code: string, message: string, now = Date.now()): void {
    this.#lastError = { code, message, at: now };
  }

  /** A batch of `topic` was applied. */
  onApplied(topic: string, now = Date.now()): void {
    (this.appliedAt ??= new Map()).set(topic, now);
  }

  /**
   * The heads of a server heartbeat: only those of subscribed topics are learned, since a server
   * may name any topic there and a head kept per name would grow without bound.
   */
  learnHeads(watermarks: Readonly<Record<string, number>>): void {
    for (const t of this.#core.topics()) if (hasOwn(watermarks, t.topic)) this.learnHead(t.topic, watermarks[t.topic]);
  }

  /** A server head learned for `topic` (stale errors, snapshots, heartbeats through {@link learnHeads}). */
  learnHead(topic: string, head: number | undefined): void {
    const next = maxDefined(this.heads?.get(topic), head);
    if (next !== undefined) (this.heads ??= new Map()).set(topic, next);
  }

  /** `topics` were unsubscribed: forget what was learned about them. */
  forget(topics: readonly string[]): void {
    for (const t of topics) {
      this.heads?.delete(t);
      this.appliedAt?.delete(t);
    }
  }

  /** The health snapshot now (both lanes: a Spacetime stream is a topic here). */
  health(now = Date.now()): ClientHealth {
    const refreshAt = this.#core.tokenRefreshAt?.();
    const topics = [];
    for (const t of this.#core.topics()) topics.push(topicHealth(t, this.heads?.get(t.topic), this.appliedAt?.get(t.topic)));
    return {
      at: now,
      connection: {
        lane: this.#core.lane,
        state: this.#core.state(),
        connectAttempts: this.#connectAttempts,
        reconnectAttempts: this.#reconnectAttempts,
        nextRetryMs: this.#nextRetryAt === undefined ? null : Math.max(0, this.#nextRetryAt - now),
        lastDisconnectReason: this.#lastDisconnect ?? null,
        lastError: this.#lastError ?? null,
        tokenRefreshDueInMs: refreshAt === undefined ? null : Math.max(0, refreshAt - now),
      },
      topics,
    };
  }
}
