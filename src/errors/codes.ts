/**
 * Every stable error code khala-sync reports, in one place, each with what it means (the runtime
 * object {@link ErrorCodes} maps each key to its code). Codes are part of the public API:
 * they never change meaning, and new ones are only added. `docs/errors.md` explains each one and
 * what the client does about it.
 */
export interface ErrorCodeTable {
  // Inbound frames the client refused (never advance a cursor, never throw out of the client).
  /** Not JSON, not a five-element Phoenix array, or a ref/topic/event of the wrong type. */
  readonly MALFORMED_FRAME: 'malformed_frame';
  /** A `sync:*` event this client does not know. Ignored. */
  readonly UNKNOWN_EVENT: 'unknown_event';
  /** A known event whose payload fails its schema (wrong types, negative or fractional watermark...). */
  readonly INVALID_PAYLOAD: 'invalid_payload';
  /** `sync:frame` whose `payload_bytes` is not base64 of UTF-8 JSON. Skipped. */
  readonly UNDECODABLE_FRAME: 'undecodable_frame';
  /** `sync:frame` with a `schema_version` this client does not speak. Skipped. */
  readonly UNSUPPORTED_FRAME_VERSION: 'unsupported_frame_version';
  /** An inbound message larger than `maxFrameBytes`. Skipped (the socket keeps running). */
  readonly FRAME_TOO_LARGE: 'frame_too_large';
  /** Data for a topic this client is not subscribed to. Ignored. */
  readonly UNSUBSCRIBED_TOPIC: 'unsubscribed_topic';
  /** A JSON object carried a `__proto__`, `constructor` or `prototype` key. Refused whole. */
  readonly FORBIDDEN_KEY: 'forbidden_key';
  /** An update's `payload_hash` does not match its payload. The body is not stored. */
  readonly PAYLOAD_HASH_MISMATCH: 'payload_hash_mismatch';
  /** The same `(topic, seq)` arrived again with another `payload_hash`: the first copy is kept. */
  readonly PAYLOAD_CONFLICT: 'payload_conflict';
  /** The server's head for a topic is below the local cursor (server reset?). Diagnostic. */
  readonly CURSOR_AHEAD_OF_HEAD: 'cursor_ahead_of_head';
  /** Spacetime lane: a server message whose single tag is not a known v1 `ServerMessage`. Ignored. */
  readonly UNKNOWN_MESSAGE: 'unknown_message';
  /** Spacetime lane: a known message at the wrong time (anything before `IdentityToken`, a second one). Ignored. */
  readonly UNEXPECTED_MESSAGE: 'unexpected_message';
  /** Spacetime lane: a `sync_event` row that is not JSON, has the wrong shape/arity, or whose `payload_json` is not JSON. The whole message is refused. */
  readonly INVALID_ROW: 'invalid_row';
  /** Spacetime lane: a stream's `seq` reached 2^53, past what a JS number counts exactly. The stream fails once (no retry). */
  readonly SEQ_OUT_OF_RANGE: 'seq_out_of_range';
  /** Untrusted JSON nested deeper than `MAX_JSON_DEPTH` (128) arrays/objects. Refused before parsing. */
  readonly JSON_TOO_DEEP: 'json_too_deep';

  // Codes the server sends (normalized per KHALA_PROTOCOL §3.1).
  /** The cursor is below the server's retention floor or replay budget: reported as a `stale` event and recovered by snapshot, never emitted as an error. */
  readonly STALE_CURSOR: 'stale_cursor';
  /** The server is behind on this client: `throttle` forces a catch-up, `disconnect` reconnects no sooner than `reconnect_after_ms`. */
  readonly SLOW_CONSUMER: 'slow_consumer';
  /** The Rust-runtime lanes' eviction after three lag strikes (KHALA_PROTOCOL §8.3): handled like `slow_consumer` `disconnect`. */
  readonly SLOW_CONSUMER_EVICTED: 'slow_consumer_evicted';
  /** The token does not allow the topic: it is dropped from the subscription, never retried in a loop. */
  readonly FORBIDDEN_TOPIC: 'forbidden_topic';
  /** The subscribe request was refused as malformed (a client bug): its topics fail, not retried. */
  readonly BAD_SUBSCRIPTION: 'bad_subscription';
  /** A topic name the server does not know: the topic fails, not retried. */
  readonly BAD_TOPIC: 'bad_topic';
  /** The session was revoked or must sign in again: status `auth_required`, no reconnect until `connect()`. */
  readonly REAUTH_REQUIRED: 'reauth_required';
  /** This client build is outside the server's compatibility window: status `upgrade_required`, no reconnect until `connect()`. */
  readonly UPGRADE_REQUIRED: 'upgrade_required';
  /** The server does not speak the client's `protocolVersion`: handled like `upgrade_required`. */
  readonly UNSUPPORTED_PROTOCOL_VERSION: 'unsupported_protocol_version';
  /** The server does not speak the client's `schemaVersion`: handled like `upgrade_required`. */
  readonly UNSUPPORTED_SCHEMA_VERSION: 'unsupported_schema_version';
  /** The client's `clientBuildId` is not a build id the server can read: handled like `upgrade_required`. */
  readonly INVALID_CLIENT_BUILD: 'invalid_client_build';
  /** The client's build is older or newer than the server accepts: handled like `upgrade_required`. */
  readonly UNSUPPORTED_CLIENT_BUILD: 'unsupported_client_build';
  /** The token was refused at join: reconnect with backoff and a fresh token. */
  readonly UNAUTHORIZED: 'unauthorized';
  /** Too many requests: reconnect after `retry_after_ms`. */
  readonly RATE_LIMITED: 'rate_limited';
  /** A client request was larger than the server accepts: reported; as a subscribe reply, reconnect with backoff (SPEC.md S7). */
  readonly PAYLOAD_TOO_LARGE: 'payload_too_large';
  /** A server-side failure: reconnect with backoff and a fresh token. */
  readonly INTERNAL: 'internal';
  /** A message for a channel topic the server does not serve: reconnect with backoff and a fresh token. */
  readonly UNMATCHED_TOPIC: 'unmatched_topic';

  // Client-side conditions.
  /** The same topic went stale again inside one recovery; the topic is stopped, not looped. */
  readonly STALE_CURSOR_LOOP: 'stale_cursor_loop';
  /** The snapshot could not be fetched after retries (network, 5xx, 429...). */
  readonly SNAPSHOT_FAILED: 'snapshot_failed';
  /** The snapshot endpoint answered with a body that is not the SDK_CONTRACTS §1 shape. */
  readonly BAD_SNAPSHOT: 'bad_snapshot';
  /** A snapshot whose head is below the stored watermark or the stale error's head: refused, never applied, retried. */
  readonly SNAPSHOT_BEHIND_CURSOR: 'snapshot_behind_cursor';
  /** A pointer-mode document could not be hydrated (it stays pending and is retried). */
  readonly HYDRATION_FAILED: 'hydration_failed';
  /** The socket could not be opened (refused, DNS, TLS, HTTP error on upgrade). */
  readonly CONNECT_FAILED: 'connect_failed';
  /** The upgrade was refused (HTTP 401/403) twice with fresh tokens. */
  readonly AUTH_REFUSED: 'auth_refused';
  /** The token provider threw or its URL answered with an error. */
  readonly TOKEN_PROVIDER_FAILED: 'token_provider_failed';
  /** No inbound frame for `deadAfterMs`: the connection is declared dead. */
  readonly HEARTBEAT_TIMEOUT: 'heartbeat_timeout';
  /** The server ended the channel (`phx_close` / `phx_error`) while the socket stayed open. */
  readonly CHANNEL_CLOSED: 'channel_closed';
  /** The inbound backlog exceeded `maxInboundBytes` on a transport that cannot pause (browser): reconnect from the watermark once drained. */
  readonly INBOUND_OVERFLOW: 'inbound_overflow';
  /** A request got no reply within `replyTimeoutMs`. */
  readonly REPLY_TIMEOUT: 'reply_timeout';
  /** An HTTP request (snapshot page, hydration, token endpoint) got no complete answer within its plug-in's `timeoutMs`. Retryable. */
  readonly REQUEST_TIMEOUT: 'request_timeout';
  /** An HTTP response body (snapshot page, hydration, token endpoint) was larger than its plug-in's `maxResponseBytes`; it was not read further. */
  readonly RESPONSE_TOO_LARGE: 'response_too_large';
  /** The server accepted the upgrade but echoed no offered WebSocket subprotocol (or another one). */
  readonly SUBPROTOCOL_MISMATCH: 'subprotocol_mismatch';
  /** Refused to send a token over plain `ws://` to a non-loopback host. */
  readonly INSECURE_TRANSPORT: 'insecure_transport';
  /** A credentialed HTTP request redirected too often, without a `Location`, where the runtime hides the target, or would carry its body to another origin. */
  readonly REDIRECT_REFUSED: 'redirect_refused';
  /** The storage backend failed; the batch was not applied and will be replayed. */
  readonly STORE_FAILED: 'store_failed';
  /** The store file was written by a newer khala-sync schema. */
  readonly STORE_VERSION_TOO_NEW: 'store_version_too_new';
  // Store migrations (`khala-sync store …`, `khala-sync/migrate`; docs/migrations.md). Nothing is written when one is raised.
  /** The file (or database) is not a store khala-sync knows how to read. */
  readonly UNKNOWN_STORE: 'unknown_store';
  /** A legacy record whose `schema_version` is not the one that format defines (a downgrade): refused, never reinterpreted. */
  readonly UNSUPPORTED_LEGACY_SCHEMA: 'unsupported_legacy_schema';
  /** A legacy record of a known format with a bad field: empty or duplicate id, watermark not a non-negative integer. */
  readonly INVALID_LEGACY_RECORD: 'invalid_legacy_record';
  /** The desktop checkpoint file holds one stream under several workers and no worker was chosen. */
  readonly AMBIGUOUS_CHECKPOINTS: 'ambiguous_checkpoints';
  /** A topic → stream mapping file is malformed, or two cursors would land on one stream id. */
  readonly BAD_MAPPING: 'bad_mapping';
  /** A migration manifest is unreadable, of an unknown version, or altered since it was written. */
  readonly INVALID_MANIFEST: 'invalid_manifest';
  /** A store on disk differs from its manifest (hash or row counts). */
  readonly VERIFY_FAILED: 'verify_failed';
  /** A migration backup is missing or its bytes differ from the manifest. */
  readonly BACKUP_INVALID: 'backup_invalid';
  /** Another migration holds the store's lock, or the store is open in another process. */
  readonly MIGRATION_LOCKED: 'migration_locked';
  /** A file operation of a migration failed (disk full, permissions); the stores are as before. */
  readonly MIGRATION_IO_FAILED: 'migration_io_failed';
  /** A bad option passed by the app. */
  readonly INVALID_OPTION: 'invalid_option';
  /** `SyncClient` options refused when the client is built (unparsable URL, unsupported scheme, bad number...). */
  readonly INVALID_OPTIONS: 'invalid_options';
  /** A stored cursor is not a non-negative safe integer (tampered or damaged file). The topic is treated as never cursored. */
  readonly STORE_CORRUPT: 'store_corrupt';
  /** The client was closed. */
  readonly CLIENT_CLOSED: 'client_closed';
  /** A wait (`whenLive`, `connect`, `subscribe`, `updates()`) was ended by its `AbortSignal`. Thrown to that caller only, never emitted. */
  readonly ABORTED: 'aborted';
  /** A document's payload fails the schema the app gave for its topic: not stored, the cursor advances. */
  readonly SCHEMA_MISMATCH: 'schema_mismatch';

  // Long-running Spacetime sessions (issue #12).
  /** An `ack_stream_checkpoint` call failed or got no reply; it is retried and never blocks delivery. */
  readonly CHECKPOINT_ACK_FAILED: 'checkpoint_ack_failed';
  /** The server closed an open socket (1001/1002/1003/1007/1008/1011) before its subscription went live; `details` carry the close code and the scrubbed reason. Reconnect. */
  readonly SERVER_REFUSED: 'server_refused';
  /** `maxRefusals` consecutive identical `server_refused` closes: status `incompatible_server`, no reconnect until `connect()`. */
  readonly INCOMPATIBLE_SERVER: 'incompatible_server';
  /** A token refresh ahead of expiry failed (token endpoint, or the new socket never went live); the old socket is kept and the refresh retried with backoff. */
  readonly TOKEN_REFRESH_FAILED: 'token_refresh_failed';
}

/**
 * The codes of {@link ErrorCodeTable}, in its order, one a line: the object is built from this text so
 * that the bundle holds each code once (a list of quoted strings costs three more bytes a code).
 */
const CODES = `malformed_frame
unknown_event
invalid_payload
undecodable_frame
unsupported_frame_version
frame_too_large
unsubscribed_topic
forbidden_key
payload_hash_mismatch
payload_conflict
cursor_ahead_of_head
unknown_message
unexpected_message
invalid_row
seq_out_of_range
json_too_deep
stale_cursor
slow_consumer
slow_consumer_evicted
forbidden_topic
bad_subscription
bad_topic
reauth_required
upgrade_required
unsupported_protocol_version
unsupported_schema_version
invalid_client_build
unsupported_client_build
unauthorized
rate_limited
payload_too_large
internal
unmatched_topic
stale_cursor_loop
snapshot_failed
bad_snapshot
snapshot_behind_cursor
hydration_failed
connect_failed
auth_refused
token_provider_failed
heartbeat_timeout
channel_closed
inbound_overflow
reply_timeout
request_timeout
response_too_large
subprotocol_mismatch
insecure_transport
redirect_refused
store_failed
store_version_too_new
unknown_store
unsupported_legacy_schema
invalid_legacy_record
ambiguous_checkpoints
bad_mapping
invalid_manifest
verify_failed
backup_invalid
migration_locked
migration_io_failed
invalid_option
invalid_options
store_corrupt
client_closed
aborted
schema_mismatch
checkpoint_ack_failed
server_refused
incompatible_server
token_refresh_failed`;

/**
 * Every stable error code khala-sync reports: `ErrorCodes.STALE_CURSOR === 'stale_cursor'`. Codes are
 * part of the public API: they never change meaning, and new ones are only added.
 */
export const ErrorCodes = Object.fromEntries(CODES.split('\n').map((c) => [c.toUpperCase(), c])) as unknown as ErrorCodeTable;

// The list and the table must hold the same codes under the same keys: `ErrorCode` does not compile
// when a code was added to only one of them.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
/** The lines of `S`, as a union (tail-recursive, so 72 lines stay within the compiler's depth limit). */
type Lines<S extends string, Acc = never> = S extends `${infer L}\n${infer R}` ? Lines<R, Acc | L> : Acc | S;

/** Union of every stable error code. */
export type ErrorCode = Check<Same<ErrorCodeTable, { readonly [C in Lines<typeof CODES> as Uppercase<C>]: C }>> extends true ? ErrorCodeTable[keyof ErrorCodeTable] : never;
