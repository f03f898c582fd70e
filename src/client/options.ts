import type { ClientInfo, Lane } from '../adapters/lane.js';
import { defaultReconnectDelay } from './backoff.js';
import type { Hydrator, SnapshotSource } from '../bootstrap/snapshot-source.js';
import type { TransportFactory } from '../transport/transport.js';
import type { SyncStore } from '../watermarks/store.js';
import type { MetricsPlugin } from '../observability/client-metrics.js';
import type { LogLevel, SyncLogger } from './logger.js';
import type { TelemetryPlugin } from './telemetry.js';
import type { TokenSource } from './token-provider.js';
import type { TopicPayloads, TopicSchemas } from './topic-schemas.js';
import type { JsonValue } from '../util/json.js';

/** Payload types of a client without a type parameter or schemas: every topic carries `JsonValue`. */
export type UntypedPayloads = Record<string, JsonValue>;

/**
 * Options of `new SyncClient(options)`. Only `url` and `token` are required. `T` maps topic names
 * to payload types (given, or inferred from `schemas`); default every topic `JsonValue`.
 */
export interface SyncClientOptions<T extends TopicPayloads = UntypedPayloads> {
  /** Full socket URL (`wss://host/sync/socket/websocket`) or a base URL (`https://host`). */
  url: string;
  /**
   * A fixed token, or a function called once per connection attempt (and per refresh) with
   * `{ signal }` (aborted by `close()`), returning a token or a `TokenGrant` (`{ token, refreshAfterMs? }`); a grant's
   * `refreshAfterMs` drives `tokenRefresh`. A mint endpoint: `tokenEndpoint({ url })` from `khala-sync/http`.
   */
  token: TokenSource;
  /** Topics to subscribe once connected. Default none. */
  topics?: string[];
  /** Durable state. Default: a new memory store. */
  store?: SyncStore;
  /** Wire protocol. Default the Khala lane (`khala.ws.v1`). */
  lane?: Lane;
  /** Transport. Default WebSocket (`isomorphic-ws`). */
  transport?: TransportFactory;
  /**
   * Snapshot source used on stale_cursor, e.g. `httpSnapshotSource({ baseUrl })` from
   * `khala-sync/http` (SDK_CONTRACTS §1). Default none: a stale topic fails.
   */
  snapshot?: SnapshotSource;
  /**
   * Hydrator for pointer-mode documents, e.g. `httpHydrator({ baseUrl })` from `khala-sync/http`
   * (SDK_CONTRACTS §2). Default none: such documents stay `hydrationPending`.
   */
  hydrator?: Hydrator;
  /**
   * Compatibility metadata (socket query and join payload); the fields given replace those of the
   * default. Default `CLIENT_DEFAULTS.clientInfo`: client `khala-sync`, build `20261122T000000Z`,
   * protocol `khala.ws.v1`, schema 1.
   */
  clientInfo?: Partial<ClientInfo>;
  /**
   * Delay before reconnect attempt `attempt` (1-based), also between failed token refreshes. A throw or
   * anything but a number of ms a timer can hold (NaN, negative, over 2^31 − 1) counts as the default
   * for that attempt. Default `CLIENT_DEFAULTS.reconnectDelay`: full jitter, 250 ms → 8 s.
   */
  reconnectDelay?: (attempt: number) => number;
  /**
   * Allow plain `ws://` to a non-loopback host for the socket URL. Default false: such a URL is
   * refused with `insecure_transport` before any token is sent. The `khala-sync/http` plug-ins
   * take their own `allowInsecure`.
   */
  allowInsecure?: boolean;
  /**
   * Longest wait a server can ask for, ms; longer ones are cut to this: the `retry_after_ms`/`reconnect_after_ms`
   * of a socket error, and a token function's `retryAfterMs` (error `details`), before the reconnect or the next token refresh. Default 60 000.
   */
  maxRetryAfterMs?: number;
  /** Interval of `sync:heartbeat`, ms. Default 20 000. */
  heartbeatIntervalMs?: number;
  /** Inbound silence after which the connection is declared dead, ms. Default 45 000. */
  deadAfterMs?: number;
  /** How long to wait for the WebSocket handshake, and then for the join reply, ms (each). Default 10 000. */
  joinTimeoutMs?: number;
  /**
   * How long a subscribe may wait for its reply, ms: counted from the request, or from the last
   * replay batch of its topics or reply to another subscribe, so a long replay never trips it. Past
   * it the client reports `reply_timeout` and reconnects with backoff, resubscribing from the
   * durable watermarks. Raise it when one reply may take longer to arrive (a Spacetime subscribe's
   * rows come in one message). Default 30 000.
   */
  subscribeTimeoutMs?: number;
  /** Time live before the backoff attempt counter resets, ms. Default 10 000. */
  stableAfterMs?: number;
  /** Largest inbound frame, bytes. Default 16 MiB (the server does not cap batch size). */
  maxFrameBytes?: number;
  /**
   * Inbound backlog budget, bytes: when frames received but not yet applied exceed it (a slow store
   * or a slow `updates` consumer), the socket stops being read until the backlog is back to half of
   * it; the server is held back by TCP, and may evict the client as a slow consumer, which it then
   * recovers from (SPEC.md R10). A transport that cannot pause (the browser's WebSocket) drops the
   * socket instead and reconnects from the watermark once drained (`inbound_overflow`). A single
   * frame never counts as over budget. Default 1 MiB: the kernel's socket buffer keeps a paused
   * socket busy anyway, and a larger backlog mostly grows the JS heap (docs/architecture.md, Backpressure).
   */
  maxInboundBytes?: number;
  /**
   * Which bodies are checked against their `payload_hash` (docs/security.md). `'fetched'`: bodies
   * that arrive over HTTP (snapshot pages, hydrated documents) — they must match what the socket
   * announced; `'all'`: socket updates too (a canonical-JSON + SHA-256 pass per update); `'off'`:
   * none. The hash string is stored with each document either way. Checking needs WebCrypto
   * (`crypto.subtle`): without it a client that would check a body throws `invalid_options`. Default `'fetched'`.
   */
  verifyPayloadHash?: PayloadHashPolicy;
  /**
   * The telemetry plug-in: `clientTelemetry({ surface, appVersion, … })` from
   * `khala-sync/observability` makes the client emit `telemetry` events (docs/observability.md).
   * Default none: no telemetry events.
   */
  telemetry?: TelemetryPlugin;
  /**
   * The metrics and health plug-in: `clientMetrics()` from `khala-sync/observability` makes
   * `client.metrics` the client's registry (catalog in docs/observability.md) and health
   * (`client.metrics.health()`). Default none: no registry, histograms or health; the plain
   * counters (`getMetrics()`) are always kept.
   */
  metrics?: MetricsPlugin;
  /**
   * Consecutive identical refusals (the server closing an open socket with 1001/1002/1003/1007/1008/1011
   * and the same reason while the subscription has never gone live since `connect()`) after which the client stops with
   * status `incompatible_server` instead of reconnecting. Default 5.
   */
  maxRefusals?: number;
  /**
   * Where to log the connection lifecycle, reconnects, recoveries and errors (`console` works).
   * Lines are scrubbed of tokens. Default none: the client logs nothing.
   */
  logger?: SyncLogger;
  /** Lowest level written to `logger`: `'debug'`, `'info'`, `'warn'` or `'error'`. Default `'info'`. */
  logLevel?: LogLevel;
  /**
   * A Standard Schema (zod 4, valibot, arktype...) per topic. Every body received for the topic
   * (socket update, snapshot page, hydration) is checked before it is stored; one that fails is
   * not stored (the document keeps its previous version), is left out of `updates`, and is
   * reported as `schema_mismatch`; the cursor still advances past it. Also types the topic's
   * documents. Default none (no check).
   */
  schemas?: TopicSchemas<T>;
  /**
   * When the token source gives a `refreshAfterMs` (`tokenEndpoint`: the endpoint's `refresh_after_in`), replace the socket shortly before it elapses
   * (10 % of it, at most 5 s early): mint a new token, open a second socket, resubscribe it from the
   * committed watermarks and switch over once it is live, then close the old one — no gap, no
   * duplicate, no moment without a live subscription. A failed refresh keeps the old socket, reports
   * `token_refresh_failed` and retries after `reconnectDelay`. Default true.
   */
  tokenRefresh?: boolean;
  /** Connect in the constructor. Default false (`CLIENT_DEFAULTS.autoConnect`: call `connect()`). */
  autoConnect?: boolean;
}

/** Every default of the client, in one place. */
export const CLIENT_DEFAULTS = Object.freeze({
  heartbeatIntervalMs: 20_000,
  deadAfterMs: 45_000,
  joinTimeoutMs: 10_000,
  subscribeTimeoutMs: 30_000,
  stableAfterMs: 10_000,
  maxFrameBytes: 16 * 1024 * 1024,
  maxInboundBytes: 1024 * 1024,
  verifyPayloadHash: 'fetched' as PayloadHashPolicy,
  allowInsecure: false,
  maxRefusals: 5,
  logLevel: 'info' as LogLevel,
  maxRetryAfterMs: 60_000,
  tokenRefresh: true,
  autoConnect: false,
  /** Full jitter in [0, min(250 · 2^(attempt−1), 8000)] ms; `Math.random` is its only source. */
  reconnectDelay: (attempt: number): number => defaultReconnectDelay(attempt),
  clientInfo: Object.freeze({
    client: 'khala-sync',
    clientBuildId: '20261122T000000Z',
    protocolVersion: 'khala.ws.v1',
    schemaVersion: 1,
  }) as Readonly<ClientInfo>,
});

/** Which bodies are checked against their `payload_hash`; see {@link SyncClientOptions.verifyPayloadHash}. */
export type PayloadHashPolicy = 'fetched' | 'all' | 'off';

/**
 * Connection status. `closed`, `upgrade_required`, `auth_required` and `incompatible_server` (the
 * server refused the session `maxRefusals` times in a row before it went live) wait for the app. `failed`:
 * joined, but every subscribed topic has failed (forbidden, bad topic, a stale loop...); the socket
 * stays up for `subscribe()`/`resync()`, and the status moves on when a topic does.
 */
export type ClientStatus = 'idle' | 'connecting' | 'joining' | 'replaying' | 'live' | 'failed' | 'backoff' | 'closed' | 'upgrade_required' | 'auth_required' | 'incompatible_server';
