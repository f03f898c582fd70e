// Public surface of the Khala wire adapter. Internal helpers (validation, payload decoding) stay private.
export { khalaLane, createKhalaLane, type KhalaLaneOptions } from './khala-lane.js';
export { KhalaSession, SYNC_CHANNEL, DEFAULT_REPLAY_BATCH_SIZE, joinPayload, type KhalaSessionSettings } from './khala-session.js';
export { buildKhalaUrl, assertSecureUrl, isLoopbackHost, DEFAULT_SOCKET_PATH, PHOENIX_VSN } from './socket-url.js';
export { encodePhoenixFrame, decodePhoenixFrame, type PhoenixMessage, type PhoenixDecodeResult } from './serializer.js';
export { decodeKhalaFrame, frameKindOf, SUPPORTED_FRAME_SCHEMA_VERSIONS, type FrameKind, type FrameDecodeResult } from './frame-decoder.js';
export { normalizeServerError, normalizeErrorCode } from './error-normalize.js';
export { ErrorPairing, errorIdentity, DEFAULT_PAIRING_LIMIT, type ErrorStream } from './error-pairing.js';
