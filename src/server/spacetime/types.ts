import type { CheckpointCall, CheckpointRow, ReducerFault } from './checkpoint-reducer.js';
import type { AppendInput, SyncEventRecord } from './event-table.js';

/** Options of `startSpacetimeServer`. */
export interface SpacetimeServerOptions {
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** Database name served at `/v1/database/{database}/subscribe`; others answer 404. Default `autopilot-sync`. */
  database?: string;
  /** Subprotocols in the server's own preference order (§1.2). Default `['v1.bsatn.spacetimedb', 'v1.json.spacetimedb']`. */
  protocols?: string[];
  /** Keep at most this many rows per stream in `sync_event` (older ones are deleted after each publish). Default unlimited. */
  retain?: number;
  /** WebSocket ping interval, ms (the real server pings every 15 s). Default 15 000. */
  pingIntervalMs?: number;
  /**
   * Token check at upgrade and on the snapshot endpoint. Default: every token, and none, is accepted
   * (SpacetimeDB mints an anonymous identity for a client without one).
   */
  verifyToken?: (token: string | undefined) => boolean;
  /**
   * `expires_in` of minted tokens, seconds (fractional allowed, for fast tests). A minted token past
   * its expiry is refused at upgrade (401); an open socket is never closed for it. Default 300.
   */
  tokenTtlSeconds?: number;
  /** `refresh_after_in` of minted tokens, seconds. Default `max(ttl − 30, 1)`, at most the TTL (§2.6). */
  tokenRefreshAfterSeconds?: number;
  /** Diagnostic log sink (never receives tokens). Default: silent. */
  log?: (line: string) => void;
}

/** Fault switches for tests and the harness. */
export interface SpacetimeFaults {
  /** Refuse every upgrade with this HTTP status (`null` to stop). */
  refuseUpgrades(status: number | null): void;
  /** Echo this subprotocol (`null`: none) instead of negotiating; `undefined` restores negotiation. */
  echoProtocol(protocol: string | null | undefined): void;
  /** Cut every socket without a close frame. */
  dropConnections(): void;
  /** Close every socket with a close frame (e.g. 1011, 1001 `module exited`). */
  closeAll(code: number, reason: string): void;
  /** Send a raw text frame to every socket. */
  pushRaw(text: string): void;
  /** `SubscriptionError` without ids to every socket, dropping their subscriptions (§1.6). */
  subscriptionErrorAll(error?: string): void;
  /** Refuse the next `times` subscribe requests with `SubscriptionError` carrying their ids. */
  failSubscribes(error: string, times?: number): void;
  /** Hold every outbound frame (sent nothing) while on. */
  stall(on: boolean): void;
  /** Row form of transaction deltas. Default `array` (positional), as the real server. */
  deltaRowForm(form: 'array' | 'object'): void;
  /** Answer the next `times` snapshot requests with this status (`null` to stop). */
  snapshotStatus(status: number | null, times?: number): void;
  /** Answer the next `times` token requests with this HTTP status (`null` to stop). Default once. */
  tokenStatus(status: number | null, times?: number): void;
  /** Leave the next `times` `OneOffQuery` requests unanswered. */
  dropOneOffs(times: number): void;
  /**
   * Accept the next `times` upgrades (default: all), send `IdentityToken`, then close with this code
   * and reason before anything is subscribed (`null` to stop).
   */
  refuseSessions(close: { code: number; reason: string } | null, times?: number): void;
  /** While on, a stream's transactions are committed but sent to no subscriber (a lost delta). */
  loseDeltas(stream: string, on: boolean): void;
  /** Script the next `ack_stream_checkpoint` calls: `fail` (the reducer returns `Err`) or `drop` (no reply). */
  reducerFaults(...faults: ReducerFault[]): void;
}

/** Counters. */
export interface SpacetimeServerStats {
  /** Sockets accepted since start. */
  connections: number;
  /** Sockets open now. */
  openConnections: number;
  /** Frames sent to clients since start. */
  framesOut: number;
  /** Upgrades refused (no common subprotocol, unknown path or database, refused token). */
  upgradesRefused: number;
  /** Tokens minted by `POST /api/sync/token`. */
  tokensMinted: number;
  /** Sessions closed by `refuseSessions`. */
  sessionsRefused: number;
}

/** A running reference Spacetime server. */
export interface SpacetimeServer {
  /** The port it listens on (the ephemeral one when `port` was 0). */
  readonly port: number;
  /** `ws://host:port/v1/database/{database}/subscribe`. */
  readonly url: string;
  /** `http://host:port`: a base URL the lane completes with its own path. */
  readonly httpUrl: string;
  /** Base of the SDK_CONTRACTS §1 snapshot endpoint: `http://host:port/sync/snapshot`. */
  readonly snapshotUrl: string;
  /** `POST` here mints a token (`{"data": {"token": …}}`). */
  readonly tokenUrl: string;
  /** The database name it serves (the `database` option). */
  readonly database: string;
  /** Append rows to a stream in one transaction (`append_sync_event` semantics) and notify subscribers. */
  publish(stream: string, inputs: AppendInput[]): SyncEventRecord[];
  /** Highest seq of a stream (0 if none). */
  head(stream: string): number;
  /** Lowest retained seq, or undefined. */
  oldest(stream: string): number | undefined;
  /** Every row ever appended to a stream, pruned ones included (what the snapshot serves). */
  history(stream: string): SyncEventRecord[];
  /** Retained rows of a stream. */
  rows(stream: string): SyncEventRecord[];
  /** Delete rows with `seq <= keepAfter` from `sync_event` (subscribers receive them as deletes). */
  prune(stream: string, keepAfter: number): void;
  /** Live query set ids per open socket (tests check ids are never reused). */
  queryIds(): number[][];
  /** `stream_checkpoint` rows (upserted by `ack_stream_checkpoint`). */
  checkpoints(): CheckpointRow[];
  /** Every well-formed `ack_stream_checkpoint` call, in order, with its outcome. */
  checkpointCalls(): CheckpointCall[];
  /** `connection_id` (decimal u128) of every open socket. */
  connectionIds(): string[];
  /** Fault switches for tests and the harness. */
  readonly faults: SpacetimeFaults;
  /** Counters of sockets, frames, refusals and tokens so far. */
  stats(): SpacetimeServerStats;
  /** Terminate every socket, stop the ping timer and stop listening. */
  close(): Promise<void>;
}
