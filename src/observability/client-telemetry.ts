import type { AttachedTelemetry, ClientTelemetryEvent, TelemetryHost, TelemetryOptions, TelemetryPlugin } from '../client/telemetry.js';
import { RollingCount } from './rolling-count.js';
import { actorScopeHash, defaultTopicClass, TelemetryGate } from './telemetry-gate.js';

type Detail = Pick<ClientTelemetryEvent, 'reconnect' | 'auth_failure' | 'replay' | 'delivery_error'>;

const FIVE_MINUTES = 5 * 60_000;

/**
 * Client telemetry as a plug-in: `new SyncClient({ telemetry: clientTelemetry({ surface, … }), … })`
 * makes the client emit `ClientTelemetryEvent`s (reconnect, auth_failure, replay, delivery_error)
 * as its `telemetry` event and to `options.onEvent`, sampled and rate limited (docs/observability.md).
 * Without it the client builds no telemetry events and the code stays out of the bundle.
 */
export function clientTelemetry(options: TelemetryOptions = {}): TelemetryPlugin {
  return { attach: (host) => attachTelemetry(options, host) };
}

function attachTelemetry(options: TelemetryOptions, host: TelemetryHost): AttachedTelemetry {
  const telemetry = new TelemetryRecorder(options, host.build, (e) => host.emit(e));
  const on = host.events;
  on.on('caught_up', ({ topic, watermark }) =>
    telemetry.record(topic, {
      replay: { status: 'live', requested_after_seq: host.requestedAfter(topic), oldest_available_seq: 0, head_seq: watermark ?? 0, catchup_duration_ms: host.caughtUpMs(topic) ?? 0 },
    }),
  );
  on.on('stale', (s) =>
    telemetry.record(s.topic, {
      replay: { status: 'stale_cursor', requested_after_seq: s.resumeAfter ?? 0, oldest_available_seq: s.retentionFloor === undefined ? 0 : s.retentionFloor + 1, head_seq: s.headWatermark ?? 0, catchup_duration_ms: 0 },
    }),
  );
  on.on('error', (e) => {
    const channel = e.source === 'store' ? 'projection_apply' : e.source === 'snapshot' ? 'replay' : e.source === 'protocol' ? 'ws' : undefined;
    if (channel !== undefined) telemetry.record(e.topic ?? '', { delivery_error: { channel, reason_code: e.code, rolling_error_count_5m: telemetry.deliveryError() } });
  });
  return {
    // Recorded against the first subscribed topic.
    reconnecting: ({ attempt, delayMs, reason }) => {
      const topics = [...host.topics()];
      const topic = topics[0]?.topic ?? '';
      const resumed = topics.some((t) => t.lastApplied !== undefined);
      const last = topics[0]?.lastApplied ?? 0;
      const reasonCode = reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
      telemetry.record(topic, { reconnect: { attempt, backoff_ms: delayMs, resumed, last_applied_seq: last, reason_code: reasonCode } });
    },
    authFailure: ({ httpStatus, reason, refreshAttempted }) => telemetry.record('', { auth_failure: { http_status: httpStatus, reason_code: reason, refresh_attempted: refreshAttempted } }),
  };
}
/** Builds telemetry events, keeps the rolling 5-minute delivery-error count, and gates delivery. */
class TelemetryRecorder {
  private seq = 0;
  private readonly errors = new RollingCount(FIVE_MINUTES);
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private readonly actorHash: string | undefined;
  /** Sampling and rate limit; its counters say how many events were dropped. */
  readonly gate: TelemetryGate;

  constructor(
    private readonly options: TelemetryOptions,
    private readonly build: { clientBuildId: string; protocolVersion: string },
    private readonly sink: (event: ClientTelemetryEvent) => void,
  ) {
    this.gate = new TelemetryGate(options);
    const scope = options.actorScopeHash ?? options.actorScope;
    this.actorHash = scope === undefined ? undefined : actorScopeHash(scope);
  }

  record(topic: string, detail: Detail): void {
    if (!this.gate.admit()) return;
    const event: ClientTelemetryEvent = {
      schema_version: 'openagents.sync.client_telemetry.v1',
      event_id: `evt_${this.prefix}_${++this.seq}`,
      occurred_at_unix_ms: Date.now(),
      surface: this.options.surface ?? 'CLIENT_SURFACE_UNSPECIFIED',
      client_build_id: this.build.clientBuildId,
      app_version: this.options.appVersion ?? '',
      protocol_version: this.build.protocolVersion,
      topic,
      topic_class: topic === '' ? '' : (this.options.topicClass ?? defaultTopicClass)(topic),
      ...detail,
    };
    if (this.actorHash !== undefined) event.actor_scope_hash = this.actorHash;
    if (this.options.sessionId !== undefined) event.session_id = this.options.sessionId;
    this.options.onEvent?.(event);
    this.sink(event);
  }

  /** Count one delivery error and return the count over the last five minutes. */
  deliveryError(now = Date.now()): number {
    return this.errors.add(now);
  }
}
