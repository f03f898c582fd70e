/** Client surface enum names (KHALA_PROTOCOL §10). */
export type ClientSurface = 'CLIENT_SURFACE_UNSPECIFIED' | 'CLIENT_SURFACE_WEB' | 'CLIENT_SURFACE_DESKTOP' | 'CLIENT_SURFACE_IOS' | 'CLIENT_SURFACE_ONYX';

/** App-level facts stamped on every telemetry event. Never raw user, org, email or device ids. */
export interface TelemetryOptions {
  /** Default `CLIENT_SURFACE_UNSPECIFIED`. */
  surface?: ClientSurface;
  /** Default `''`. */
  appVersion?: string;
  /** Default none. */
  sessionId?: string;
  /** One-way hash of the actor, e.g. `sha256:…`. Default none. */
  actorScopeHash?: string;
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
  actor_scope_hash?: string;
  session_id?: string;
  reconnect?: { attempt: number; backoff_ms: number; resumed: boolean; last_applied_seq: number; reason_code: string };
  auth_failure?: { http_status: number; reason_code: string; refresh_attempted: boolean };
  replay?: { status: 'catchup' | 'live' | 'stale_cursor' | 'failed'; requested_after_seq: number; oldest_available_seq: number; head_seq: number; catchup_duration_ms: number };
  delivery_error?: { channel: 'ws' | 'replay' | 'projection_apply'; reason_code: string; rolling_error_count_5m: number };
}

type Detail = Pick<ClientTelemetryEvent, 'reconnect' | 'auth_failure' | 'replay' | 'delivery_error'>;

const FIVE_MINUTES = 5 * 60_000;

/** Builds telemetry events; keeps the rolling 5-minute delivery-error count. */
export class TelemetryRecorder {
  private seq = 0;
  private readonly errorTimes: number[] = [];
  private readonly prefix = Math.random().toString(36).slice(2, 10);

  constructor(
    private readonly options: TelemetryOptions,
    private readonly build: { clientBuildId: string; protocolVersion: string },
    private readonly sink: (event: ClientTelemetryEvent) => void,
  ) {}

  record(topic: string, detail: Detail): void {
    const event: ClientTelemetryEvent = {
      schema_version: 'openagents.sync.client_telemetry.v1',
      event_id: `evt_${this.prefix}_${++this.seq}`,
      occurred_at_unix_ms: Date.now(),
      surface: this.options.surface ?? 'CLIENT_SURFACE_UNSPECIFIED',
      client_build_id: this.build.clientBuildId,
      app_version: this.options.appVersion ?? '',
      protocol_version: this.build.protocolVersion,
      topic,
      ...detail,
    };
    if (this.options.actorScopeHash !== undefined) event.actor_scope_hash = this.options.actorScopeHash;
    if (this.options.sessionId !== undefined) event.session_id = this.options.sessionId;
    this.sink(event);
  }

  /** Count one delivery error and return the count over the last five minutes. */
  deliveryError(now = Date.now()): number {
    this.errorTimes.push(now);
    while (this.errorTimes.length > 0 && this.errorTimes[0]! < now - FIVE_MINUTES) this.errorTimes.shift();
    return this.errorTimes.length;
  }
}
