import type { JsonValue } from '../util/json.js';
import type { ReferenceServerOptions } from './options.js';

/** One update to append with {@link ReferenceServer.publish}. */
export interface PublishInput {
  /** Opaque document id (§5.2). */
  docKey: string;
  /** Default: the document's previous version + 1 (1 for a new document). */
  docVersion?: number;
  /** The full document; kept for hydration and snapshots even in pointer mode. */
  payload: JsonValue;
  /** Default `false`. When true the wire update carries `payload: null, hydration_required: true` (§2.7). */
  pointer?: boolean;
}

/** A journal row: one event of one topic. */
export interface JournalEntry {
  /** The topic the entry was published on. */
  topic: string;
  /** Per-topic sequence, strictly increasing, gaps possible (§2.6). */
  watermark: number;
  /** The document the entry writes. */
  docKey: string;
  /** The document's version after this entry. */
  docVersion: number;
  /** The full payload, also when `pointer` is true. */
  payload: JsonValue;
  /** K1 wire hash of the full payload (§6). */
  payloadHash: string;
  /** Sent in pointer mode: the socket carries no body, the client hydrates it over HTTP. */
  pointer: boolean;
}

/** Latest state of one document: what a converged client holds. */
export interface DocumentState {
  /** The document's latest version. */
  docVersion: number;
  /** Its latest body. */
  payload: JsonValue;
  /** The watermark of the entry that wrote it. */
  watermark: number;
}

/** Claims for {@link ReferenceServer.mintToken}. Every field is optional. */
export interface MintClaims {
  /** Default: every catalog topic. */
  scopes?: string[];
  /** Default `300`. */
  ttlSeconds?: number;
  /** `oa_session_id`. Default: random `sess_<hex>`. */
  sessionId?: string;
  /** `oa_device_id`. Default `'device_local'`. */
  deviceId?: string;
  /** `oa_user_id` (string or number both accepted, §14.13). Default `'user_local'`. */
  userId?: string | number;
  /** Which key signs. Default `'current'`; `'previous'` throws if no previous key is configured. */
  kid?: 'current' | 'previous';
  /** Shifts `iat`/`nbf`/`exp` by this many seconds (negative = issued in the past). Default `0`. */
  iatOffsetSeconds?: number;
  /** Issue an already expired token (`exp` one second ago). Default `false`. */
  expired?: boolean;
  /** Adds the `oa_client_build_id` claim (compatibility fallback, §1.1). Default: absent. */
  client_build_id?: string;
}

/** Counters of {@link ReferenceServer.stats}. All start at 0 and only grow, except `openConnections`. */
export interface ServerStats {
  /** WebSocket upgrades accepted since start (restarts included). */
  connections: number;
  /** Sockets open right now. */
  openConnections: number;
  /** Successful `phx_join` replies. */
  joins: number;
  /** Successful `sync:subscribe` replies. */
  subscribes: number;
  /** WebSocket text frames sent. */
  framesOut: number;
  /** Subscribe requests refused with `stale_cursor`. */
  staleCursors: number;
  /** Slow-consumer disconnects (strike `maxStrikes`). */
  slowConsumerEvictions: number;
  /** Upgrades answered with an HTTP error (bad token, bad vsn, injected refusal). */
  upgradesRefused: number;
}

/** Fault switches for chaos tests. None is active by default. */
export interface Faults {
  /** Terminate every socket abruptly (no close frame). */
  dropConnections(): void;
  /** Push `phx_error` on every joined channel and forget the channel; sockets stay open. */
  phxErrorAll(): void;
  /** Push `phx_close` on every joined channel and forget the channel; sockets stay open. */
  phxCloseAll(): void;
  /** The next `times` (default 1) joins get `{status:'error', response: payload}`. */
  injectJoinError(payload: object, times?: number): void;
  /** The next `times` (default 1) subscribes get `{status:'error', response: payload}`. */
  injectSubscribeError(payload: object, times?: number): void;
  /** While on, nothing is sent (frames, replies, heartbeats); output produced meanwhile is discarded. Default off. */
  stall(on: boolean): void;
  /** Send a raw text frame to every socket with a joined channel. */
  pushRaw(text: string): void;
  /** Push a `slow_consumer` error to every joined channel; `'disconnect'` is then followed by `phx_error`. */
  slowConsumer(action: 'throttle' | 'disconnect'): void;
  /** Invalidate pinned snapshot generations of `topic`: the next page-token request answers 410. */
  moveSnapshotGeneration(topic: string): void;
  /** Answer the next `times` (default 1) snapshot requests with `status` (`null` clears). */
  snapshotStatus(status: number | null, retryAfterSeconds?: number, times?: number): void;
  /** Answer WebSocket upgrades with `status` until cleared with `null`. Default: not refusing. */
  refuseUpgrades(status: number | null): void;
}

/** A running reference server. */
export interface ReferenceServer {
  /** The port it listens on (the ephemeral one when `port` was 0). */
  readonly port: number;
  /** `ws://host:port/sync/socket/websocket` */
  readonly url: string;
  /** `http://host:port` */
  readonly httpUrl: string;
  /** `${httpUrl}/sync/snapshot` */
  readonly snapshotUrl: string;
  /** `${httpUrl}/sync/documents` */
  readonly hydrateUrl: string;
  /** `${httpUrl}/api/sync/token` */
  readonly tokenUrl: string;
  /** `${httpUrl}/api/publish` */
  readonly publishUrl: string;
  /** Append synchronously and queue live fan-out; throws on an unknown topic or a bad input (nothing appended). */
  publish(topic: string, inputs: PublishInput[]): JournalEntry[];
  /** Highest watermark ever allocated (0 if none). */
  head(topic: string): number;
  /** Lowest retained watermark, `undefined` when nothing is retained. */
  oldest(topic: string): number | undefined;
  /** Retained entries, ascending. */
  journal(topic: string): JournalEntry[];
  /** Latest state per document (last-writer-wins by `doc_version`, §7.4). */
  documents(topic: string): Map<string, DocumentState>;
  /** Drop entries with `watermark <= keepAfter`; moves the retention floor. */
  prune(topic: string, keepAfter: number): void;
  /** Allocate `n` watermarks without events (gaps, §2.6). */
  burnWatermarks(topic: string, n: number): void;
  /** Mint a sync JWT signed by this server's keyring. */
  mintToken(claims?: MintClaims): Promise<string>;
  /** Revoke a session (§8.5); `reason` default `'session_revoked'`. */
  revokeSession(sessionId: string, reason?: string): void;
  /** Replace the compatibility window; `undefined` restores the default (enforcement off). */
  setCompatibility(window: ReferenceServerOptions['compatibility']): void;
  /** Fault switches for tests (docs/reference-server.md). */
  readonly faults: Faults;
  /** Counters since start: connections, joins, subscribes, frames sent, stale cursors... */
  stats(): ServerStats;
  /** Close every socket (code 1012) and the listener, then listen again on the same port. State is kept. */
  restart(): Promise<void>;
  /** Terminate every socket, stop listening and clear every timer. */
  close(): Promise<void>;
}
