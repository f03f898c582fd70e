/**
 * Every stable error code khala-sync reports, in one place. Codes are part of the public API:
 * they never change meaning, and new ones are only added. `docs/errors.md` explains each one and
 * what the client does about it.
 */
export const ErrorCodes = {
  // Inbound frames the client refused (never advance a cursor, never throw out of the client).
  /** Not JSON, not a five-element Phoenix array, or a ref/topic/event of the wrong type. */
  MALFORMED_FRAME: 'malformed_frame',
  /** A `sync:*` event this client does not know. Ignored. */
  UNKNOWN_EVENT: 'unknown_event',
  /** A known event whose payload fails its schema (wrong types, negative or fractional watermark...). */
  INVALID_PAYLOAD: 'invalid_payload',
  /** `sync:frame` whose `payload_bytes` is not base64 of UTF-8 JSON. Skipped. */
  UNDECODABLE_FRAME: 'undecodable_frame',
  /** `sync:frame` with a `schema_version` this client does not speak. Skipped. */
  UNSUPPORTED_FRAME_VERSION: 'unsupported_frame_version',
  /** An inbound message larger than `maxFrameBytes`. Skipped (the socket keeps running). */
  FRAME_TOO_LARGE: 'frame_too_large',
  /** Data for a topic this client is not subscribed to. Ignored. */
  UNSUBSCRIBED_TOPIC: 'unsubscribed_topic',
  /** A JSON object carried a `__proto__`, `constructor` or `prototype` key. Refused whole. */
  FORBIDDEN_KEY: 'forbidden_key',
  /** An update's `payload_hash` does not match its payload. The body is not stored. */
  PAYLOAD_HASH_MISMATCH: 'payload_hash_mismatch',
  /** The same `(topic, seq)` arrived again with another `payload_hash`: the first copy is kept. */
  PAYLOAD_CONFLICT: 'payload_conflict',
  /** The server's head for a topic is below the local cursor (server reset?). Diagnostic. */
  CURSOR_AHEAD_OF_HEAD: 'cursor_ahead_of_head',
  /** Spacetime lane: a server message whose single tag is not a known v1 `ServerMessage`. Ignored. */
  UNKNOWN_MESSAGE: 'unknown_message',
  /** Spacetime lane: a known message at the wrong time (anything before `IdentityToken`, a second one). Ignored. */
  UNEXPECTED_MESSAGE: 'unexpected_message',
  /** Spacetime lane: a `sync_event` row that is not JSON, has the wrong shape/arity, or whose `payload_json` is not JSON. The whole message is refused. */
  INVALID_ROW: 'invalid_row',
  /** Untrusted JSON nested deeper than `MAX_JSON_DEPTH` (128) arrays/objects. Refused before parsing. */
  JSON_TOO_DEEP: 'json_too_deep',

  // Codes the server sends (normalized per KHALA_PROTOCOL §3.1).
  STALE_CURSOR: 'stale_cursor',
  SLOW_CONSUMER: 'slow_consumer',
  FORBIDDEN_TOPIC: 'forbidden_topic',
  BAD_SUBSCRIPTION: 'bad_subscription',
  BAD_TOPIC: 'bad_topic',
  REAUTH_REQUIRED: 'reauth_required',
  UPGRADE_REQUIRED: 'upgrade_required',
  UNSUPPORTED_PROTOCOL_VERSION: 'unsupported_protocol_version',
  UNSUPPORTED_SCHEMA_VERSION: 'unsupported_schema_version',
  INVALID_CLIENT_BUILD: 'invalid_client_build',
  UNSUPPORTED_CLIENT_BUILD: 'unsupported_client_build',
  UNAUTHORIZED: 'unauthorized',
  RATE_LIMITED: 'rate_limited',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  INTERNAL: 'internal',
  UNMATCHED_TOPIC: 'unmatched_topic',

  // Client-side conditions.
  /** The same topic went stale again inside one recovery; the topic is stopped, not looped. */
  STALE_CURSOR_LOOP: 'stale_cursor_loop',
  /** The snapshot could not be fetched after retries (network, 5xx, 429...). */
  SNAPSHOT_FAILED: 'snapshot_failed',
  /** The snapshot endpoint answered with a body that is not the SDK_CONTRACTS §1 shape. */
  BAD_SNAPSHOT: 'bad_snapshot',
  /** A snapshot whose head is below the stored watermark or the stale error's head: refused, never applied, retried. */
  SNAPSHOT_BEHIND_CURSOR: 'snapshot_behind_cursor',
  /** A pointer-mode document could not be hydrated (it stays pending and is retried). */
  HYDRATION_FAILED: 'hydration_failed',
  /** The socket could not be opened (refused, DNS, TLS, HTTP error on upgrade). */
  CONNECT_FAILED: 'connect_failed',
  /** The upgrade was refused (HTTP 401/403) twice with fresh tokens. */
  AUTH_REFUSED: 'auth_refused',
  /** The token provider threw or its URL answered with an error. */
  TOKEN_PROVIDER_FAILED: 'token_provider_failed',
  /** No inbound frame for `deadAfterMs`: the connection is declared dead. */
  HEARTBEAT_TIMEOUT: 'heartbeat_timeout',
  /** The server ended the channel (`phx_close` / `phx_error`) while the socket stayed open. */
  CHANNEL_CLOSED: 'channel_closed',
  /** The inbound backlog exceeded `maxInboundBytes` on a transport that cannot pause (browser): reconnect from the watermark once drained. */
  INBOUND_OVERFLOW: 'inbound_overflow',
  /** A request got no reply within `replyTimeoutMs`. */
  REPLY_TIMEOUT: 'reply_timeout',
  /** An HTTP request (snapshot page, hydration, token endpoint) got no complete answer within `httpTimeoutMs`. Retryable. */
  REQUEST_TIMEOUT: 'request_timeout',
  /** An HTTP response body (snapshot page, hydration, token endpoint) was larger than `maxResponseBytes`; it was not read further. */
  RESPONSE_TOO_LARGE: 'response_too_large',
  /** The server accepted the upgrade but echoed no offered WebSocket subprotocol (or another one). */
  SUBPROTOCOL_MISMATCH: 'subprotocol_mismatch',
  /** Refused to send a token over plain `ws://` to a non-loopback host. */
  INSECURE_TRANSPORT: 'insecure_transport',
  /** A credentialed HTTP request redirected too often, without a `Location`, or where the runtime hides the target. */
  REDIRECT_REFUSED: 'redirect_refused',
  /** The storage backend failed; the batch was not applied and will be replayed. */
  STORE_FAILED: 'store_failed',
  /** The store file was written by a newer khala-sync schema. */
  STORE_VERSION_TOO_NEW: 'store_version_too_new',
  // Store migrations (`khala-sync store …`, `khala-sync/migrate`; docs/migrations.md). Nothing is written when one is raised.
  /** The file (or database) is not a store khala-sync knows how to read. */
  UNKNOWN_STORE: 'unknown_store',
  /** A legacy record whose `schema_version` is not the one that format defines (a downgrade): refused, never reinterpreted. */
  UNSUPPORTED_LEGACY_SCHEMA: 'unsupported_legacy_schema',
  /** A legacy record of a known format with a bad field: empty or duplicate id, watermark not a non-negative integer. */
  INVALID_LEGACY_RECORD: 'invalid_legacy_record',
  /** The desktop checkpoint file holds one stream under several workers and no worker was chosen. */
  AMBIGUOUS_CHECKPOINTS: 'ambiguous_checkpoints',
  /** A topic → stream mapping file is malformed, or two cursors would land on one stream id. */
  BAD_MAPPING: 'bad_mapping',
  /** A migration manifest is unreadable, of an unknown version, or altered since it was written. */
  INVALID_MANIFEST: 'invalid_manifest',
  /** A store on disk differs from its manifest (hash or row counts). */
  VERIFY_FAILED: 'verify_failed',
  /** A migration backup is missing or its bytes differ from the manifest. */
  BACKUP_INVALID: 'backup_invalid',
  /** Another migration holds the store's lock, or the store is open in another process. */
  MIGRATION_LOCKED: 'migration_locked',
  /** A file operation of a migration failed (disk full, permissions); the stores are as before. */
  MIGRATION_IO_FAILED: 'migration_io_failed',
  /** A bad option passed by the app. */
  INVALID_OPTION: 'invalid_option',
  /** `SyncClient` options refused when the client is built (unparsable URL, unsupported scheme, bad number...). */
  INVALID_OPTIONS: 'invalid_options',
  /** A stored cursor is not a non-negative safe integer (tampered or damaged file). The topic is treated as never cursored. */
  STORE_CORRUPT: 'store_corrupt',
  /** The client was closed. */
  CLIENT_CLOSED: 'client_closed',
  /** A wait (`whenLive`, `connect`, `subscribe`, `updates()`) was ended by its `AbortSignal`. Thrown to that caller only, never emitted. */
  ABORTED: 'aborted',
  /** A document's payload fails the schema the app gave for its topic: not stored, the cursor advances. */
  SCHEMA_MISMATCH: 'schema_mismatch',

  // Long-running Spacetime sessions (issue #12).
  /** An `ack_stream_checkpoint` call failed or got no reply; it is retried and never blocks delivery. */
  CHECKPOINT_ACK_FAILED: 'checkpoint_ack_failed',
  /** The server closed an open socket (1001/1002/1003/1007/1008/1011) before its subscription went live; `details` carry the close code and the scrubbed reason. Reconnect. */
  SERVER_REFUSED: 'server_refused',
  /** `maxRefusals` consecutive identical `server_refused` closes: status `incompatible_server`, no reconnect until `connect()`. */
  INCOMPATIBLE_SERVER: 'incompatible_server',
  /** A token refresh ahead of expiry failed (token endpoint, or the new socket never went live); the old socket is kept and the refresh retried with backoff. */
  TOKEN_REFRESH_FAILED: 'token_refresh_failed',
} as const;

/** Union of every stable error code. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
