/** Client surface enum names (KHALA_PROTOCOL §10). */
export type ClientSurface = 'CLIENT_SURFACE_UNSPECIFIED' | 'CLIENT_SURFACE_WEB' | 'CLIENT_SURFACE_DESKTOP' | 'CLIENT_SURFACE_IOS' | 'CLIENT_SURFACE_ONYX';

import type { TelemetryGateOptions } from '../observability/telemetry-gate.js';

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
  /** Shape version of the event: always `openagents.sync.client_telemetry.v1`. */
  schema_version: 'openagents.sync.client_telemetry.v1';
  /** Unique per event within a client: `evt_<random prefix>_<sequence>`. */
  event_id: string;
  /** When the client recorded the event, ms since the epoch. */
  occurred_at_unix_ms: number;
  /** The `surface` option of `clientTelemetry()`; default `CLIENT_SURFACE_UNSPECIFIED`. */
  surface: ClientSurface;
  /** The client's `clientInfo.clientBuildId`. */
  client_build_id: string;
  /** The `appVersion` option of `clientTelemetry()`; default `''`. */
  app_version: string;
  /** The client's `clientInfo.protocolVersion`. */
  protocol_version: string;
  /** The topic the event is about; `''` for a connection-wide event. */
  topic: string;
  /** The topic's class (the `topicClass` option), so dashboards group topics without their ids; `''` without a topic. */
  topic_class: string;
  /** `sha256:` hash of the actor scope, present when `actorScope`/`actorScopeHash` was given; never the raw scope. */
  actor_scope_hash?: string;
  /** The `sessionId` option, when given. */
  session_id?: string;
  /** Present on a reconnect: its attempt, backoff, whether the cursor resumed, and why. */
  reconnect?: { attempt: number; backoff_ms: number; resumed: boolean; last_applied_seq: number; reason_code: string };
  /** Present when a token was refused or could not be minted. */
  auth_failure?: { http_status: number; reason_code: string; refresh_attempted: boolean };
  /** Present when a topic's replay reached a phase (caught up, live, stale, failed). */
  replay?: { status: 'catchup' | 'live' | 'stale_cursor' | 'failed'; requested_after_seq: number; oldest_available_seq: number; head_seq: number; catchup_duration_ms: number };
  /** Present when an error stopped or delayed delivery, with the count over the last five minutes. */
  delivery_error?: { channel: 'ws' | 'replay' | 'projection_apply'; reason_code: string; rolling_error_count_5m: number };
}

/** What a client hands the telemetry plug-in when it attaches it (once, in its constructor). */
export interface TelemetryHost {
  /** The client's events (the plug-in adds its own listeners). */
  readonly events: TelemetryEvents;
  /** Emit a delivered event as the client's `telemetry` event. */
  emit(event: ClientTelemetryEvent): void;
  /** Stamped on every event. */
  readonly build: { clientBuildId: string; protocolVersion: string };
  /** Subscribed topics with their applied watermark, in subscribe order. */
  topics(): Iterable<{ topic: string; lastApplied: number | undefined }>;
  /** The watermark the current subscription of `topic` resumed after. */
  requestedAfter(topic: string): number;
  /** Subscribe sent → caught-up of `topic`'s current subscription, ms. */
  caughtUpMs(topic: string): number | undefined;
}

/** The client events telemetry follows (a subset of `SyncClientEvents`). */
export interface TelemetryEvents {
  /** A topic caught up (replay status `live`). */
  on(event: 'caught_up', fn: (info: { topic: string; watermark: number | undefined }) => void): unknown;
  /** A topic's cursor went stale (replay status `stale_cursor`). */
  on(event: 'stale', fn: (info: { topic: string; resumeAfter: number | undefined; retentionFloor: number | undefined; headWatermark: number | undefined }) => void): unknown;
  /** An error the client emitted (a `delivery_error` or `auth_failure` event). */
  on(event: 'error', fn: (error: { source: string; code: string; topic?: string | undefined }) => void): unknown;
}

/** A telemetry plug-in attached to one client: the connection reports what it sees no event for. */
export interface AttachedTelemetry {
  /** A reconnect was scheduled. */
  reconnecting(info: { attempt: number; delayMs: number; reason: string }): void;
  /** The upgrade or the token endpoint refused the credentials. */
  authFailure(info: { httpStatus: number; reason: string; refreshAttempted: boolean }): void;
}

/** The `telemetry` client option: `clientTelemetry(options)` from `khala-sync/observability`. */
export interface TelemetryPlugin {
  /** Called once by the client it is given to: start listening to `host.events`, emit through `host.emit`. */
  attach(host: TelemetryHost): AttachedTelemetry;
}
