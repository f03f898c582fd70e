import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncBatch, SyncErrorPayload } from '../model/types.js';

/**
 * What a lane session reports to the client core. Every call is data; nothing here throws.
 * The core applies each call before the session is handed the next inbound frame, so a session
 * may ask {@link LaneSink.lastApplied} to skip work that is already done.
 */
export interface LaneSink {
  /** The session is joined and may subscribe. */
  ready(info: { allowedTopics: string[] | undefined }): void;
  /**
   * The join was refused (upgrade_required, reauth_required, unmatched topic...), or its reply could
   * not be read: then the code is `invalid_payload`, already reported through {@link LaneSink.protocolError}.
   */
  joinFailed(error: SyncErrorPayload): void;
  /** Updates for one topic. May arrive before the subscribe reply. */
  batch(batch: SyncBatch): void;
  /** A subscribe request succeeded; its topics are now live. `currentWatermarks` are hints only. */
  subscribed(requestId: number, topics: string[], currentWatermarks: Record<string, number>): void;
  /** A subscribe request failed; nothing of it was subscribed. `invalid_payload`: its reply could not be read (already reported). */
  subscribeFailed(requestId: number, topics: string[], error: SyncErrorPayload): void;
  /** An error pushed by the server outside a reply (already de-duplicated across the two streams). */
  serverError(error: SyncErrorPayload): void;
  /** Heartbeat watermarks: what the server delivered, never a cursor. */
  heartbeat(watermarks: Record<string, number>): void;
  /** The channel died while the socket may stay open (`phx_close` / `phx_error`). */
  channelDown(reason: string): void;
  /** An inbound frame was refused; it changed nothing. */
  protocolError(error: KhalaSyncError): void;
  /** Highest applied watermark of `topic`, or undefined. */
  lastApplied(topic: string): number | undefined;
  /**
   * True when duplicates of `topic` are compared with their first copy (SPEC.md A13), so a copy a
   * lane could skip as already applied must still be decoded and delivered. Default false.
   */
  carriesHashes?(topic: string): boolean;
  /** Something worth counting or showing that changed no state by itself (optional). */
  notice?(notice: LaneNotice): void;
  /** A problem that is reported and nothing more: a timed-out query, a failed checkpoint ack (optional). */
  report?(error: KhalaSyncError): void;
}

/**
 * Observations a lane reports beside its data (Spacetime: head probes, one-off query correlation,
 * checkpoint acks). They are diagnostics: the core counts and relays them, nothing else.
 */
export type LaneNotice =
  /** A head probe answered: `heads` per stream, and the streams whose head is ahead of the local watermark. */
  | { type: 'head_probe'; heads: Record<string, number>; behind: string[] }
  /** A stream's head stayed ahead of its watermark: `waiting` for a delta, then `stale` (recovery starts) or `closed`. */
  | { type: 'head_gap'; stream: string; head: number; applied: number | undefined; outcome: 'waiting' | 'closed' | 'stale' }
  /** A reply that answers no request of ours was ignored. */
  | { type: 'unmatched_reply'; kind: 'one_off' | 'reducer'; id: string }
  /** A request got no reply in time and was forgotten (a late reply counts as unmatched). */
  | { type: 'reply_timeout'; kind: 'one_off' | 'reducer'; id: string }
  /** A checkpoint acknowledgement finished (`acked`) or will be retried (`failed`). */
  | { type: 'checkpoint_ack'; stream: string; seq: number; outcome: 'acked' | 'failed'; attempt: number }
  /**
   * Reported by the connection, not a lane: a token refresh replaced the socket (`switched`; the two
   * sockets overlapped for `overlapMs`) or failed and keeps the old one (`failed`, with the code).
   */
  | { type: 'token_refresh'; outcome: 'switched' | 'failed'; overlapMs: number; code?: string };

/** A lane's conversation on one open transport. */
export interface LaneSession {
  /** The transport is open: send whatever opens the conversation (Phoenix: `phx_join`). */
  start(): void;
  /** One inbound text frame. */
  receive(text: string, byteLength: number): void;
  /** Ask for `topics`, resuming after the given cursors (topics absent from `resumeAfter` are sent without one). Returns the request id. */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number;
  /** Stop receiving `topics`. */
  unsubscribe(topics: string[]): void;
  /** Send the lane's keep-alive. */
  heartbeat(): void;
  /** Drop pending requests and timers; the transport is gone. */
  dispose(): void;
  /** `topic`'s batch up to `watermark` is durable in the local store (optional: e.g. to acknowledge a checkpoint). */
  committed?(topic: string, watermark: number): void;
}

/** Options common to every lane session. */
export interface LaneSessionOptions {
  /** Send one text frame. */
  send(text: string): void;
  /** Where the session reports what the frames meant (batches, replies, errors, notices). */
  sink: LaneSink;
  /** Inbound frames above this size are refused with `frame_too_large`. */
  maxFrameBytes: number;
  /** Compatibility metadata copied into the join (Khala) or subscribe (Spacetime). */
  clientInfo: ClientInfo;
}

/** Compatibility metadata sent on every connection (KHALA_PROTOCOL §1.1, §3.4). */
export interface ClientInfo {
  /** Free label for telemetry. Default `khala-sync`. */
  client: string;
  /** UTC build id `YYYYMMDDTHHMMSSZ`. */
  clientBuildId: string;
  /** Default `khala.ws.v1`. */
  protocolVersion: string;
  /** Default 1. */
  schemaVersion: number;
}

/** A wire protocol the core can speak. */
export interface Lane {
  /** The lane's name in logs and metrics (`khala`, `spacetime`). */
  readonly name: string;
  /** Build the socket URL from a full or base URL plus the token. */
  buildUrl(url: string, token: string, info: ClientInfo): string;
  /** WebSocket subprotocols to offer, if any. */
  readonly protocols: string[] | undefined;
  /** A session for one socket: it reads that socket's frames and speaks the lane's requests. */
  createSession(options: LaneSessionOptions): LaneSession;
}
