import { classifyDisconnect, type DisconnectClass } from './disconnect-class.js';
import { maxDefined, topicHealth, type ClientHealth, type TopicFacts } from './health.js';
import { ownValue } from '../util/records.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';

/** The client events health and metrics follow (a subset of `SyncClientEvents`). */
export interface ObservableClient {
  on(event: 'status', fn: (status: string) => void): unknown;
  on(event: 'error', fn: (error: KhalaSyncError) => void): unknown;
  on(event: 'heartbeat', fn: (watermarks: Record<string, number>) => void): unknown;
  on(event: 'stale', fn: (info: { topic: string; reason: string | undefined; headWatermark: number | undefined }) => void): unknown;
  on(event: 'bootstrap', fn: (info: { topic: string; headWatermark: number }) => void): unknown;
  on(event: 'caught_up', fn: (info: { topic: string }) => void): unknown;
  on(event: 'updates', fn: (batch: { topic: string; updates: ReadonlyArray<{ publishedAtMs?: number }> }) => void): unknown;
}

/** What the tracker reads from the client core when asked for health (part of `MetricsHost`). */
export interface HealthSource {
  /** Wire protocol of the lane. */
  readonly lane: string;
  /** The subscribed topics' replay state now. */
  topics(): Iterable<TopicFacts>;
  /** Unix ms when the token should next be refreshed, when the token source schedules it. */
  tokenRefreshAt(): number | undefined;
}

/**
 * The facts behind `client.metrics.health()`: connect and reconnect attempts, the latest disconnect
 * class and error, the server heads learned and when each topic last applied. Made by the
 * `clientMetrics()` plug-in when a client attaches it, so a client without the plug-in carries
 * none of it; fed once per event, never per update.
 */
export class HealthTracker {
  // Followed from `status` events: a connection starts idle and reports every change.
  #state = 'idle';
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

  /**
   * Follow `client`'s events, and call `changed` on every change that matters to a person watching
   * (status, error, stale, bootstrap, caught-up; reconnects are reported where they are scheduled),
   * never per batch.
   */
  observe(client: ObservableClient, changed: () => void): void {
    client.on('status', (status) => {
      this.#status(status);
      changed();
    });
    client.on('error', (e) => {
      this.#lastError = { code: e.code, message: e.message, at: Date.now() };
      changed();
    });
    // Only the heads of subscribed topics are learned: a server may name any topic in a heartbeat,
    // and a head kept per name would grow without bound.
    client.on('heartbeat', (w) => {
      for (const t of this.#core.topics()) this.#learnHead(t.topic, ownValue(w, t.topic));
    });
    client.on('stale', (s) => {
      this.#learnHead(s.topic, s.headWatermark);
      changed();
    });
    client.on('bootstrap', (b) => {
      this.#learnHead(b.topic, b.headWatermark);
      changed();
    });
    client.on('caught_up', changed);
    client.on('updates', (b) => void (this.appliedAt ??= new Map()).set(b.topic, Date.now()));
  }

  #status(status: string): void {
    this.#state = status;
    if (status === 'connecting') this.#connectAttempts++;
    else if (status === 'auth_required' || status === 'upgrade_required' || status === 'incompatible_server') this.#lastDisconnect = status === 'auth_required' ? 'unauthorized' : 'upgrade_required';
    else if (status !== 'closed') return;
    this.#nextRetryAt = undefined;
  }

  /** A reconnect was scheduled after `delayMs` because of `reason`; returns the disconnect class. */
  reconnecting(delayMs: number, reason: string, now = Date.now()): DisconnectClass {
    const cls = classifyDisconnect(reason);
    this.#reconnectAttempts++;
    this.#lastDisconnect = cls;
    this.#nextRetryAt = now + delayMs;
    return cls;
  }

  /** A server head learned for `topic` (stale errors, snapshots, heartbeats). */
  #learnHead(topic: string, head: number | undefined): void {
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
    const refreshAt = this.#core.tokenRefreshAt();
    const topics = [];
    for (const t of this.#core.topics()) topics.push(topicHealth(t, this.heads?.get(t.topic), this.appliedAt?.get(t.topic)));
    return {
      at: now,
      connection: {
        lane: this.#core.lane,
        state: this.#state,
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
