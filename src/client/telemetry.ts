/** Client surface enum names (KHALA_PROTOCOL §10). */
export type ClientSurface = 'CLIENT_SURFACE_UNSPECIFIED' | 'CLIENT_SURFACE_WEB' | 'CLIENT_SURFACE_DESKTOP' | 'CLIENT_SURFACE_IOS' | 'CLIENT_SURFACE_ONYX';

import { actorScopeHash, defaultTopicClass, TelemetryGate, type TelemetryGateOptions } from '../observability/telemetry-gate.js';

/**
 * App-level facts stamped on every telemetry event, and how events are delivered (sampled, then
 * rate limited: {@link TelemetryGateOptions}). Never raw user, org, email or device ids.
 */
export interface TelemetryOptions extends TelemetryGateOptions {
  /** Default `CLIENT_SURFACE_UNSPECIFIED`. */
  surface?: ClientSurface;
  /** Default `''`. */
  appVersion?: string;
  /** Default none. */
  sessionId?: string;
  /** Actor scope (e.g. user or org id); only its one-way `sha256:` hash is sent. Default none. */
  actorScope?: string;
  /** A `sha256:<hex>` hash of the actor scope; any other value is hashed first. Default none. */
  actorScopeHash?: string;
  /** `topic_class` of a topic. Default: its first and last segments (`run:<id>:events` → `run_events`). */
  topicClass?: (topic: string) => string;
  /** Receives every delivered event (the `telemetry` client event carries the same ones). Default none. */
  onEvent?: (event: ClientTelemetryEvent) => void;
}

/**
 * `openagents.sync.v1.ClientTelemetryEvent` as JSON with proto field names (the shape of
 * `client-telemetry-v1.json`). Exactly one of the four detail fields is present. No message bodies.
 */
export interface ClientTelemetryEvent {
  schema_version: 'openagents.sync.client_telemetry.v1';
  event_id: string;
  occurred_at_unix_ms: number;
  surface: ClientSurface;
  client_build_id: string;
  app_version: string;
  protocol_version: string;
  topic: string;
  topic_class: string;
  actor_scope_hash?: string;
  session_id?: string;
  reconnect?: { attempt: number; backoff_ms: number; resumed: boolean; last_applied_seq: number; reason_code: string };
  auth_failure?: { http_status: number; reason_code: string; refresh_attempted: boolean };
  replay?: { status: 'catchup' | 'live' | 'stale_cursor' | 'failed'; requested_after_seq: number; oldest_available_seq: number; head_seq: number; catchup_duration_ms: number };
  delivery_error?: { channel: 'ws' | 'replay' | 'projection_apply'; reason_code: string; rolling_error_count_5m: number };
}

type Detail = Pick<ClientTelemetryEvent, 'reconnect' | 'auth_failure' | 'replay' | 'delivery_error'>;

const FIVE_MINUTES = 5 * 60_000;

/** Builds telemetry events, keeps the rolling 5-minute delivery-error count, and gates delivery. */
export class TelemetryRecorder {
  private seq = 0;
  private readonly errorTimes: number[] = [];
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
    this.errorTimes.push(now);
    while (this.errorTimes.length > 0 && this.errorTimes[0]! < now - FIVE_MINUTES) this.errorTimes.shift();
    return this.errorTimes.length;
  }
}
