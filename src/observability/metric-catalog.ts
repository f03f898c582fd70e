/** What a metric measures over time. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * One metric's stable identity. `name` is the OpenTelemetry instrument name; the Prometheus name
 * is derived from it ({@link prometheusName}): dots become underscores, the unit is appended
 * (`_seconds`, `_bytes`) and counters end in `_total`. Renaming one is a breaking change.
 */
export interface MetricDef {
  /** The OpenTelemetry name (`khala_sync.…`); {@link prometheusName} derives the Prometheus one from it. */
  readonly name: string;
  /** Counter, gauge or histogram. */
  readonly kind: MetricKind;
  /** UCUM unit as OpenTelemetry writes it: `s`, `By`, or a `{annotation}` for counts. */
  readonly unit: string;
  /** What it measures, one sentence (the Prometheus `# HELP` line and the OpenTelemetry description). */
  readonly help: string;
  /** The one label this metric is split by, if any (e.g. `code`). */
  readonly label?: string;
  /** Histogram bucket upper bounds, in the metric's unit. Default {@link DEFAULT_SECONDS_BUCKETS}. */
  readonly buckets?: readonly number[];
}

/** Bucket bounds for durations in seconds: 1 ms to 2 min. */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);

const def = (name: string, kind: MetricKind, unit: string, help: string, label?: string): MetricDef => Object.freeze(label === undefined ? { name, kind, unit, help } : { name, kind, unit, help, label });

/**
 * Every metric a {@link SyncClient} reports, by key. The names, units and labels are the public
 * contract documented in docs/observability.md and the README table.
 */
export const CLIENT_METRICS = Object.freeze({
  updatesApplied: def('khala_sync.updates.applied', 'counter', '{update}', 'Updates applied durably (committed with their watermark).'),
  duplicatesDropped: def('khala_sync.duplicates.dropped', 'counter', '{update}', 'Updates dropped as already applied (double emission, replay overlap).'),
  gapsSeen: def('khala_sync.gaps.seen', 'counter', '{gap}', 'Applied updates whose watermark jumped by more than 1 (allowed; closed by replay).'),
  conflicts: def('khala_sync.conflicts', 'counter', '{update}', 'Updates whose document was not written because the cached doc_version is newer.'),
  payloadConflicts: def('khala_sync.payload_conflicts', 'counter', '{update}', 'Repeats of an applied (topic, seq) with another payload_hash (first copy kept).'),
  framesRejected: def('khala_sync.frames.rejected', 'counter', '{frame}', 'Inbound frames refused, by the error code reported.', 'code'),
  staleRecoveries: def('khala_sync.stale.recoveries', 'counter', '{recovery}', 'stale_cursor recoveries started, by the server-given reason.', 'reason'),
  bootstraps: def('khala_sync.snapshot.bootstraps', 'counter', '{bootstrap}', 'Snapshots applied.'),
  bootstrapDuration: def('khala_sync.snapshot.bootstrap.duration', 'histogram', 's', 'stale_cursor (or resync) to snapshot committed.'),
  timeToCaughtUp: def('khala_sync.caught_up.duration', 'histogram', 's', 'Subscribe sent to caught-up, per topic subscription.'),
  applyLatency: def('khala_sync.apply.latency', 'histogram', 's', 'Publish time carried by the update to applied (lanes that carry one).'),
  reconnects: def('khala_sync.reconnects', 'counter', '{reconnect}', 'Reconnects scheduled, by disconnect class.', 'reason'),
  reconnectDelay: def('khala_sync.reconnect.delay', 'histogram', 's', 'Backoff delay chosen for each reconnect.'),
  slowConsumer: def('khala_sync.slow_consumer.events', 'counter', '{event}', 'slow_consumer errors from the server, by action (throttle, disconnect, evicted).', 'action'),
  hydrationFetches: def('khala_sync.hydration.fetches', 'counter', '{fetch}', 'Pointer-mode document fetches attempted.'),
  hydrationFailures: def('khala_sync.hydration.failures', 'counter', '{fetch}', 'Pointer-mode document fetches that failed.'),
  storeCommitDuration: def('khala_sync.store.commit.duration', 'histogram', 's', 'One batch commit (documents + watermark) in the store.'),
  inboundQueueDepth: def('khala_sync.inbound.queue.depth', 'gauge', '{frame}', 'Inbound frames received but not yet handled.'),
  inboundQueueBytes: def('khala_sync.inbound.queue.size', 'gauge', 'By', 'Bytes of inbound frames received but not yet handled.'),
  inboundPaused: def('khala_sync.inbound.paused', 'gauge', '{socket}', '1 while the socket is not read because the inbound backlog is over maxInboundBytes.'),
  inboundPauses: def('khala_sync.inbound.pauses', 'counter', '{pause}', 'Times reading the socket was paused (backlog over maxInboundBytes); overflows of unpausable sockets count too.'),
  replayLagMax: def('khala_sync.replay.lag.max', 'gauge', '{update}', 'Largest server head minus watermark over the subscribed topics.'),
});

/** Keys of {@link CLIENT_METRICS}. */
export type ClientMetricKey = keyof typeof CLIENT_METRICS;

const UNIT_SUFFIX: Record<string, string> = { s: '_seconds', By: '_bytes' };

/** The Prometheus name of a metric (OpenTelemetry's Prometheus compatibility rules). */
export function prometheusName(d: Pick<MetricDef, 'name' | 'kind' | 'unit'>): string {
  const base = d.name.replace(/[^a-zA-Z0-9_:]/g, '_') + (UNIT_SUFFIX[d.unit] ?? '');
  return d.kind === 'counter' ? `${base}_total` : base;
}
