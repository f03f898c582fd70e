import { classifyDisconnect, type DisconnectClass } from './disconnect-class.js';
import { maxDefined, topicHealth, type ClientHealth, type TopicFacts } from './health.js';
import { CLIENT_METRICS as M } from './metric-catalog.js';
import { MetricsRegistry, type LabeledCounter } from './registry.js';
import type { Histogram } from './histogram.js';

/** Counters the client core keeps as plain fields; the observer reads them at snapshot time. */
export interface CoreCounters {
  readonly applied: number;
  readonly duplicatesDropped: number;
  readonly gapsSeen: number;
  readonly bootstraps: number;
  readonly conflicts: number;
  readonly payloadConflicts: number;
  readonly hydrationFetches: number;
  readonly hydrationFailures: number;
  readonly framesRejectedByCode: Readonly<Record<string, number>>;
  /** Inbound budget crossings (pauses, and overflows of sockets that cannot pause); default 0. */
  readonly inboundPauses?: number;
}

/** What the observer reads from the client core when asked for a snapshot or health. */
export interface ObservedCore {
  readonly lane: string;
  counters(): CoreCounters;
  topics(): Iterable<TopicFacts>;
  /** Connection status now. */
  state(): string;
  /** Inbound frames and bytes waiting, and whether reading is paused; default 0/0/false. */
  inbound?(): { frames: number; bytes: number; paused?: boolean };
  /** Unix ms when the token should next be refreshed, when the token source schedules it. */
  tokenRefreshAt?(): number | undefined;
}

const SECOND = 1000;

/**
 * Everything a client reports about itself beyond its data: the metrics registry (client metric
 * catalog) and the facts behind `health()`. The client calls the `on*` methods from its event
 * relays (each at most once per batch, never per update); nothing here sits on the decode path.
 */
export class ClientObserver {
  readonly registry = new MetricsRegistry();
  private readonly staleRecoveries: LabeledCounter;
  private readonly reconnects: LabeledCounter;
  private readonly slowConsumer: LabeledCounter;
  private readonly bootstrapDuration: Histogram;
  private readonly timeToCaughtUp: Histogram;
  private readonly applyLatency: Histogram;
  private readonly reconnectDelay: Histogram;
  /** Store commit time per batch; the driver observes it in seconds. */
  readonly storeCommitDuration: Histogram;
  private connectAttempts = 0;
  private reconnectAttempts = 0;
  private nextRetryAt: number | undefined;
  private lastDisconnect: DisconnectClass | undefined;
  private lastError: { code: string; message: string; at: number } | undefined;
  private readonly heads = new Map<string, number>();
  private readonly appliedAt = new Map<string, number>();
  private readonly bootstrapStarted = new Map<string, number>();

  constructor(private readonly core: ObservedCore) {
    const r = this.registry;
    r.collect(M.updatesApplied, () => core.counters().applied);
    r.collect(M.duplicatesDropped, () => core.counters().duplicatesDropped);
    r.collect(M.gapsSeen, () => core.counters().gapsSeen);
    r.collect(M.conflicts, () => core.counters().conflicts);
    r.collect(M.payloadConflicts, () => core.counters().payloadConflicts);
    r.collect(M.framesRejected, () => core.counters().framesRejectedByCode);
    this.staleRecoveries = r.labeled(M.staleRecoveries);
    r.collect(M.bootstraps, () => core.counters().bootstraps);
    this.bootstrapDuration = r.histogram(M.bootstrapDuration);
    this.timeToCaughtUp = r.histogram(M.timeToCaughtUp);
    this.applyLatency = r.histogram(M.applyLatency);
    this.reconnects = r.labeled(M.reconnects);
    this.reconnectDelay = r.histogram(M.reconnectDelay);
    this.slowConsumer = r.labeled(M.slowConsumer);
    r.collect(M.hydrationFetches, () => core.counters().hydrationFetches);
    r.collect(M.hydrationFailures, () => core.counters().hydrationFailures);
    this.storeCommitDuration = r.histogram(M.storeCommitDuration);
    r.collect(M.inboundQueueDepth, () => core.inbound?.().frames ?? 0);
    r.collect(M.inboundQueueBytes, () => core.inbound?.().bytes ?? 0);
    r.collect(M.inboundPaused, () => (core.inbound?.().paused === true ? 1 : 0));
    r.collect(M.inboundPauses, () => core.counters().inboundPauses ?? 0);
    r.collect(M.replayLagMax, () => this.health().topics.reduce((m, t) => Math.max(m, t.lag ?? 0), 0));
  }

  /** The connection changed status. */
  onStatus(status: string): void {
    if (status === 'connecting') {
      this.connectAttempts++;
      this.nextRetryAt = undefined;
    } else if (status === 'auth_required' || status === 'upgrade_required' || status === 'incompatible_server') {
      this.lastDisconnect = status === 'auth_required' ? 'unauthorized' : 'upgrade_required';
      this.nextRetryAt = undefined;
    } else if (status === 'closed') {
      this.nextRetryAt = undefined;
    }
  }

  /** A reconnect was scheduled after `delayMs` because of `reason`. */
  onReconnecting(delayMs: number, reason: string, now = Date.now()): void {
    const cls = classifyDisconnect(reason);
    this.reconnectAttempts++;
    this.lastDisconnect = cls;
    this.nextRetryAt = now + delayMs;
    this.reconnects.inc(cls);
    this.reconnectDelay.observe(delayMs / SECOND);
  }

  /** Any reported error. Slow-consumer errors also count by their action. */
  onError(code: string, message: string, action: string | undefined, now = Date.now()): void {
    this.lastError = { code, message, at: now };
    if (code === 'slow_consumer') this.slowConsumer.inc(action ?? 'unknown');
    else if (code === 'slow_consumer_evicted') this.slowConsumer.inc('evicted');
  }

  /** A batch was applied; `publishedAt` is the newest update's publish time, when the lane carries one. */
  onApplied(topic: string, publishedAt: number | undefined, now = Date.now()): void {
    this.appliedAt.set(topic, now);
    if (publishedAt !== undefined) this.applyLatency.observe(Math.max(0, now - publishedAt) / SECOND);
  }

  /** Server heads learned outside batches (heartbeats). */
  onHeads(watermarks: Readonly<Record<string, number>>): void {
    for (const [topic, w] of Object.entries(watermarks)) this.learnHead(topic, w);
  }

  /** A stale_cursor recovery started for `topic`. */
  onStale(topic: string, reason: string | undefined, head: number | undefined, now = Date.now()): void {
    this.staleRecoveries.inc(reason ?? 'unspecified');
    this.bootstrapStarted.set(topic, now);
    this.learnHead(topic, head);
  }

  /** A resync was asked for (its snapshot is timed like a stale one's). */
  onResync(topic: string, now = Date.now()): void {
    this.bootstrapStarted.set(topic, now);
  }

  /** A snapshot of `topic` at `head` was committed. */
  onBootstrap(topic: string, head: number, now = Date.now()): void {
    const started = this.bootstrapStarted.get(topic);
    this.bootstrapStarted.delete(topic);
    if (started !== undefined) this.bootstrapDuration.observe((now - started) / SECOND);
    this.learnHead(topic, head);
  }

  /** `topic` caught up `ms` after its subscribe was sent. */
  onCaughtUp(ms: number | undefined): void {
    if (ms !== undefined) this.timeToCaughtUp.observe(ms / SECOND);
  }

  /** The health snapshot now (both lanes: a Spacetime stream is a topic here). */
  health(now = Date.now()): ClientHealth {
    const refreshAt = this.core.tokenRefreshAt?.();
    const topics = [];
    for (const t of this.core.topics()) topics.push(topicHealth(t, this.heads.get(t.topic), this.appliedAt.get(t.topic)));
    return {
      at: now,
      connection: {
        lane: this.core.lane,
        state: this.core.state(),
        connectAttempts: this.connectAttempts,
        reconnectAttempts: this.reconnectAttempts,
        nextRetryMs: this.nextRetryAt === undefined ? null : Math.max(0, this.nextRetryAt - now),
        lastDisconnectReason: this.lastDisconnect ?? null,
        lastError: this.lastError ?? null,
        tokenRefreshDueInMs: refreshAt === undefined ? null : Math.max(0, refreshAt - now),
      },
      topics,
    };
  }

  private learnHead(topic: string, head: number | undefined): void {
    const next = maxDefined(this.heads.get(topic), head);
    if (next !== undefined) this.heads.set(topic, next);
  }
}
