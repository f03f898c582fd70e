/**
 * Options of the reference server and their defaults. Every default lives in {@link SERVER_DEFAULTS}
 * so the docs table, the code and the tests read one source.
 */

/** How a topic behaves on the K1/Phoenix lane (KHALA_PROTOCOL §5.3). */
export interface TopicPolicy {
  /** Events a resuming client may be behind before `replay_budget_exceeded` (§5.5). */
  replayBudget: number;
  /** Whether `GET /sync/snapshot/:topic` serves the topic and `snapshot_plan` lists it. */
  snapshot: boolean;
  /** Reported as `qos_tier` in `stale_topics[]`. */
  qosTier: 'hot' | 'warm' | 'cold';
}

/**
 * Compatibility window (§3.4). Default: `enforce: false`, protocol `khala.ws.v1`, min build
 * `00000000T000000Z`, max `null`, schema 1..1.
 */
export interface CompatibilityWindow {
  /** Whether the join checks the client against the window; off, any client joins. Default false. */
  enforce: boolean;
  /** The protocol a client must declare. Default `khala.ws.v1`. */
  protocolVersion: string;
  /** Oldest client build accepted (build ids compare as text). Default `00000000T000000Z`. */
  minClientBuildId: string;
  /** Newest client build accepted; null: no upper bound. Default null. */
  maxClientBuildId: string | null;
  /** Lowest schema version accepted. Default 1. */
  minSchemaVersion: number;
  /** Highest schema version accepted. Default 1. */
  maxSchemaVersion: number;
}

/** Options of {@link startReferenceServer}. Every field is optional; defaults are in {@link SERVER_DEFAULTS}. */
export interface ReferenceServerOptions {
  /** TCP port. Default `0` (ephemeral). */
  port?: number;
  /** Bind address. Default `'127.0.0.1'`. */
  host?: string;
  /** WebSocket path. Default `'/sync/socket/websocket'`. */
  socketPath?: string;
  /** Topic catalog. Default: the four topics of §5.1 with the §5.3 budgets, snapshots for the two summary topics. */
  topics?: Record<string, TopicPolicy>;
  /** Push every batch/error twice (legacy event, then `sync:frame`). Default `true`. */
  doubleEmission?: boolean;
  /**
   * Which stream is kept when `doubleEmission` is false: `'legacy'` (`sync:update_batch` / `sync:error`)
   * or `'frame'` (`sync:frame` only). Default `'legacy'`.
   */
  singleEmission?: 'legacy' | 'frame';
  /** Server-side cap on updates per batch; `replay_batch_size` can only lower it. Default `200`. */
  maxBatchSize?: number;
  /** Unsolicited `sync:heartbeat` push interval, also the idle-check tick (§8.1). Default `15000`. */
  serverHeartbeatMs?: number;
  /** Channel closed (`phx_close`) after this long without a client `sync:*` event (§8.1). Default `60000`. */
  channelIdleTimeoutMs?: number;
  /** Pending-topic queue limit per connection (§8.3). Default `64`. */
  queueLimit?: number;
  /** Slow-consumer strike that disconnects (§3.2). Default `3`. */
  maxStrikes?: number;
  /** Topics drained per live-tail tick (§2.6). Default `2`. */
  drainTopicsPerTick?: number;
  /** HS256 keyring (§4.3). Default: a random current key with kid `'sync-auth-v1'`, no previous key. */
  signingKeys?: { current: { kid: string; secret: string }; previous?: { kid: string; secret: string } };
  /** JWT `iss`. Default `'https://openagents.com'`. */
  issuer?: string;
  /** JWT `aud`. Default `'openagents-sync'`. */
  audience?: string;
  /** Compatibility window (§3.4). Default: enforcement off plus the §3.4 defaults. */
  compatibility?: CompatibilityWindow;
  /**
   * When set, `POST /api/sync/token` and `POST /api/publish` require `Authorization: Bearer <controlToken>`.
   * Default `undefined` (open; meant for a loopback dev server).
   */
  controlToken?: string;
  /** Snapshot page size, also the cap on `?limit=`. Default `500`. */
  snapshotPageSize?: number;
  /** Maximum token age since `iat` (Rust rule, §4.3); `0` disables. Default `300`. */
  maxAgeSeconds?: number;
  /**
   * `refresh_after_in` the token endpoint answers, seconds (fractional allowed). Default
   * `max(ttl_seconds − 30, 1)` (§4.1). A test knob: the TTL range (60–900 s) stays, so tests can
   * drive many client refresh cycles while every token stays valid.
   */
  tokenRefreshAfterSeconds?: number;
  /**
   * Browser origins allowed to call the HTTP endpoints cross-origin (CORS: preflight answered,
   * `Access-Control-Allow-Origin` echoed). Entries are exact origins (`'https://app.example'`),
   * `'loopback'` (any `http(s)://` origin on `localhost`, `127.0.0.0/8` or `[::1]`, any port) or
   * `'*'` (any origin); `[]` turns CORS off. Default `['loopback']`. The WebSocket upgrade is not
   * subject to CORS and is unaffected.
   */
  corsOrigins?: readonly string[];
  /** Diagnostic sink. Default: no-op. Tokens are never passed to it. */
  log?: (line: string) => void;
}

/** The §5.1 catalog with the §5.3 policies. */
export const DEFAULT_TOPICS: Readonly<Record<string, TopicPolicy>> = Object.freeze({
  'runtime.run_summaries': Object.freeze({ replayBudget: 20000, snapshot: true, qosTier: 'warm' }),
  'runtime.codex_worker_summaries': Object.freeze({ replayBudget: 10000, snapshot: true, qosTier: 'warm' }),
  'runtime.codex_worker_events': Object.freeze({ replayBudget: 3000, snapshot: false, qosTier: 'hot' }),
  'runtime.notifications': Object.freeze({ replayBudget: 500, snapshot: false, qosTier: 'cold' }),
} satisfies Record<string, TopicPolicy>);

/** §3.4 default window (enforcement off). */
export const DEFAULT_COMPATIBILITY: Readonly<CompatibilityWindow> = Object.freeze({
  enforce: false,
  protocolVersion: 'khala.ws.v1',
  minClientBuildId: '00000000T000000Z',
  maxClientBuildId: null,
  minSchemaVersion: 1,
  maxSchemaVersion: 1,
});

/** Every default of {@link ReferenceServerOptions}, frozen. The signing key default is random per server. */
export const SERVER_DEFAULTS = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  socketPath: '/sync/socket/websocket',
  topics: DEFAULT_TOPICS,
  doubleEmission: true,
  singleEmission: 'legacy' as const,
  maxBatchSize: 200,
  serverHeartbeatMs: 15000,
  channelIdleTimeoutMs: 60000,
  queueLimit: 64,
  maxStrikes: 3,
  drainTopicsPerTick: 2,
  kid: 'sync-auth-v1',
  issuer: 'https://openagents.com',
  audience: 'openagents-sync',
  compatibility: DEFAULT_COMPATIBILITY,
  snapshotPageSize: 500,
  maxAgeSeconds: 300,
  corsOrigins: Object.freeze(['loopback']) as readonly string[],
  /** Not an option: the cap on inbound WebSocket frames and HTTP bodies. */
  maxInboundBytes: 1024 * 1024,
  /** Not an option: `reconnect_after_ms` in slow_consumer payloads (§3.2). */
  slowConsumerReconnectAfterMs: 2000,
});

/** Options after defaults are applied. */
export interface ResolvedOptions {
  port: number;
  host: string;
  socketPath: string;
  topics: Readonly<Record<string, TopicPolicy>>;
  doubleEmission: boolean;
  singleEmission: 'legacy' | 'frame';
  maxBatchSize: number;
  serverHeartbeatMs: number;
  channelIdleTimeoutMs: number;
  queueLimit: number;
  maxStrikes: number;
  drainTopicsPerTick: number;
  signingKeys: { current: { kid: string; secret: string }; previous?: { kid: string; secret: string } };
  issuer: string;
  audience: string;
  compatibility: CompatibilityWindow;
  controlToken: string | undefined;
  snapshotPageSize: number;
  maxAgeSeconds: number;
  tokenRefreshAfterSeconds: number | undefined;
  corsOrigins: readonly string[];
  log: (line: string) => void;
}

function positiveInt(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(`reference server option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return v;
}

function corsOrigins(value: readonly string[] | undefined): readonly string[] {
  const list = value ?? SERVER_DEFAULTS.corsOrigins;
  for (const entry of list) {
    if (entry === 'loopback' || entry === '*') continue;
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
    // An origin is scheme://host[:port] exactly as browsers send it: no path, no trailing slash.
    if (origin !== entry) throw new RangeError(`reference server option corsOrigins: ${JSON.stringify(entry)} is not an origin, 'loopback' or '*'`);
  }
  return Object.freeze([...list]);
}

function refreshAfter(value: number | undefined): number | undefined {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new RangeError('reference server option tokenRefreshAfterSeconds must be a positive number');
  return value;
}

function randomSecret(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Apply {@link SERVER_DEFAULTS} and validate; throws `RangeError` on a bad value. */
export function resolveOptions(options: ReferenceServerOptions = {}): ResolvedOptions {
  const topics = options.topics ?? DEFAULT_TOPICS;
  for (const [topic, policy] of Object.entries(topics)) {
    if (topic.trim() !== topic || topic === '') throw new RangeError(`invalid topic name ${JSON.stringify(topic)}`);
    positiveInt(`topics[${topic}].replayBudget`, policy.replayBudget, 0, true);
  }
  const socketPath = options.socketPath ?? SERVER_DEFAULTS.socketPath;
  if (!socketPath.startsWith('/')) throw new RangeError('reference server option socketPath must start with "/"');
  return {
    port: positiveInt('port', options.port, SERVER_DEFAULTS.port, true),
    host: options.host ?? SERVER_DEFAULTS.host,
    socketPath,
    topics,
    doubleEmission: options.doubleEmission ?? SERVER_DEFAULTS.doubleEmission,
    singleEmission: options.singleEmission ?? SERVER_DEFAULTS.singleEmission,
    maxBatchSize: positiveInt('maxBatchSize', options.maxBatchSize, SERVER_DEFAULTS.maxBatchSize),
    serverHeartbeatMs: positiveInt('serverHeartbeatMs', options.serverHeartbeatMs, SERVER_DEFAULTS.serverHeartbeatMs),
    channelIdleTimeoutMs: positiveInt('channelIdleTimeoutMs', options.channelIdleTimeoutMs, SERVER_DEFAULTS.channelIdleTimeoutMs),
    queueLimit: positiveInt('queueLimit', options.queueLimit, SERVER_DEFAULTS.queueLimit),
    maxStrikes: positiveInt('maxStrikes', options.maxStrikes, SERVER_DEFAULTS.maxStrikes),
    drainTopicsPerTick: positiveInt('drainTopicsPerTick', options.drainTopicsPerTick, SERVER_DEFAULTS.drainTopicsPerTick),
    signingKeys: options.signingKeys ?? { current: { kid: SERVER_DEFAULTS.kid, secret: randomSecret() } },
    issuer: options.issuer ?? SERVER_DEFAULTS.issuer,
    audience: options.audience ?? SERVER_DEFAULTS.audience,
    compatibility: { ...(options.compatibility ?? SERVER_DEFAULTS.compatibility) },
    controlToken: options.controlToken,
    snapshotPageSize: positiveInt('snapshotPageSize', options.snapshotPageSize, SERVER_DEFAULTS.snapshotPageSize),
    maxAgeSeconds: positiveInt('maxAgeSeconds', options.maxAgeSeconds, SERVER_DEFAULTS.maxAgeSeconds, true),
    tokenRefreshAfterSeconds: refreshAfter(options.tokenRefreshAfterSeconds),
    corsOrigins: corsOrigins(options.corsOrigins),
    log: options.log ?? (() => {}),
  };
}
