import { ErrorCodes } from '../errors/codes.js';
import { ClientMetricsRegistry } from './client-registry.js';
import type { Histogram } from './histogram.js';
import { CLIENT_METRICS as M } from './metric-catalog.js';
import { HealthTracker, type HealthSource, type ObservableClient } from './health-tracker.js';

/** Counters the client core keeps as plain fields; the registry reads them at snapshot time. */
export interface CoreCounters {
  /** Updates applied (committed); `SyncMetrics.applied`. */
  readonly applied: number;
  /** Updates dropped as already applied. */
  readonly duplicatesDropped: number;
  /** Applied updates whose watermark jumped by more than 1. */
  readonly gapsSeen: number;
  /** Snapshots applied. */
  readonly bootstraps: number;
  /** Updates kept out because the held document's version is newer. */
  readonly conflicts: number;
  /** Repeats of an applied `(topic, seq)` with another `payload_hash` (SPEC.md A13). */
  readonly payloadConflicts: number;
  /** Pointer-mode document fetches started. */
  readonly hydrationFetches: number;
  /** Pointer-mode document fetches that failed. */
  readonly hydrationFailures: number;
  /** Inbound frames refused, by error code. */
  readonly framesRejectedByCode: Readonly<Record<string, number>>;
  /** Inbound budget crossings (pauses, and overflows of sockets that cannot pause). */
  readonly inboundPauses: number;
}

/**
 * What a client hands the metrics plug-in when it attaches it (once, in its constructor): its
 * events, lane, topics and token refresh time (for health), and readers of its counters.
 */
export interface MetricsHost extends HealthSource {
  /** The client's events (the plug-in adds its own listeners). */
  readonly events: ObservableClient;
  /** The client's plain counters now (read at each snapshot, never copied on the hot path). */
  counters(): CoreCounters;
  /** Inbound frames and bytes waiting, and whether reading is paused. */
  inbound(): { frames: number; bytes: number; paused: boolean };
  /** Subscribe sent → caught-up of `topic`'s current subscription, ms. */
  caughtUpMs(topic: string): number | undefined;
}

/** A plug-in attached to one client. */
export interface AttachedMetrics {
  /** The client's registry and health (`client.metrics`). */
  readonly registry: ClientMetricsRegistry;
  /** Observes one store commit, in seconds (the replay driver times each batch commit). */
  readonly commitTiming: { observe(seconds: number): void };
  /** A reconnect was scheduled after `delayMs` because of `reason` (free text; classified here). */
  reconnecting(delayMs: number, reason: string): void;
  /** `topics` were unsubscribed: health forgets what it learned about them. */
  unsubscribed(topics: readonly string[]): void;
}

/** The `metrics` client option: builds a client's registry when the client attaches it. */
export interface MetricsPlugin {
  /** Called once by the client it is given to: register the catalog's instruments over `host`. */
  attach(host: MetricsHost): AttachedMetrics;
}

const SECOND = 1000;

/**
 * The client metrics registry as a plug-in: `new SyncClient({ metrics: clientMetrics(), … })`, then
 * `client.metrics` is the registry of the client metric catalog (docs/observability.md) and the
 * client's health (`client.metrics.health()`, `client.metrics.onHealth(listener)`). Counters are
 * the core's plain fields, read at snapshot time; histograms are observed once per event (a
 * commit, a reconnect, a bootstrap), never per update. Without it the client keeps its plain
 * counters (`getMetrics()`), and the registry and health code stay out of the bundle.
 */
export function clientMetrics(): MetricsPlugin {
  return { attach: attachClientMetrics };
}

function attachClientMetrics(host: MetricsHost): AttachedMetrics {
  const tracker = new HealthTracker(host);
  const r = new ClientMetricsRegistry(tracker);
  tracker.observe(host.events, () => r.changed());
  const counters = host.counters;
  r.collect(M.updatesApplied, () => counters().applied);
  r.collect(M.duplicatesDropped, () => counters().duplicatesDropped);
  r.collect(M.gapsSeen, () => counters().gapsSeen);
  r.collect(M.conflicts, () => counters().conflicts);
  r.collect(M.payloadConflicts, () => counters().payloadConflicts);
  r.collect(M.framesRejected, () => counters().framesRejectedByCode);
  const staleRecoveries = r.labeled(M.staleRecoveries);
  r.collect(M.bootstraps, () => counters().bootstraps);
  const bootstrapDuration = r.histogram(M.bootstrapDuration);
  const timeToCaughtUp = r.histogram(M.timeToCaughtUp);
  const applyLatency = r.histogram(M.applyLatency);
  const reconnects = r.labeled(M.reconnects);
  const reconnectDelay = r.histogram(M.reconnectDelay);
  const slowConsumer = r.labeled(M.slowConsumer);
  r.collect(M.hydrationFetches, () => counters().hydrationFetches);
  r.collect(M.hydrationFailures, () => counters().hydrationFailures);
  const storeCommitDuration: Histogram = r.histogram(M.storeCommitDuration);
  r.collect(M.inboundQueueDepth, () => host.inbound().frames);
  r.collect(M.inboundQueueBytes, () => host.inbound().bytes);
  r.collect(M.inboundPaused, () => (host.inbound().paused ? 1 : 0));
  r.collect(M.inboundPauses, () => counters().inboundPauses);
  r.collect(M.replayLagMax, () => tracker.health().topics.reduce((m, t) => Math.max(m, t.lag ?? 0), 0));

  const bootstrapStarted = new Map<string, number>();
  const on = host.events;
  on.on('error', (e) => {
    const code = e.code;
    if (code === ErrorCodes.SLOW_CONSUMER) {
      const action = (e.details['payload'] as { action?: unknown } | undefined)?.action;
      slowConsumer.inc(typeof action === 'string' ? action : 'unknown');
    } else if (code === ErrorCodes.SLOW_CONSUMER_EVICTED) slowConsumer.inc('evicted');
  });
  on.on('stale', (s) => {
    staleRecoveries.inc(s.reason ?? 'unspecified');
    bootstrapStarted.set(s.topic, Date.now());
  });
  on.on('bootstrap', (b) => {
    const started = bootstrapStarted.get(b.topic);
    bootstrapStarted.delete(b.topic);
    if (started !== undefined) bootstrapDuration.observe((Date.now() - started) / SECOND);
  });
  on.on('caught_up', ({ topic }) => {
    const ms = host.caughtUpMs(topic);
    if (ms !== undefined) timeToCaughtUp.observe(ms / SECOND);
  });
  on.on('updates', (b) => {
    const publishedAt = b.updates[b.updates.length - 1]?.publishedAtMs;
    if (publishedAt !== undefined) applyLatency.observe(Math.max(0, Date.now() - publishedAt) / SECOND);
  });
  return {
    registry: r,
    commitTiming: storeCommitDuration,
    reconnecting: (delayMs, reason) => {
      reconnects.inc(tracker.reconnecting(delayMs, reason));
      reconnectDelay.observe(delayMs / SECOND);
    },
    unsubscribed: (topics) => tracker.forget(topics),
  };
}
