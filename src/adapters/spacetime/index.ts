export { createSpacetimeLane, spacetimeLane, SPACETIME_SUBPROTOCOL, type SpacetimeLaneOptions } from './spacetime-lane.js';
export { SpacetimeSession } from './spacetime-session.js';
export type { SpacetimeSessionSettings } from './session-settings.js';
export { SYNC_EVENT_COLUMNS, STREAM_HEAD_COLUMNS, decodeSyncEventRow, type SyncEventRow } from './rows.js';
export { sqlString, streamQuery } from './sql.js';
export { DEFAULT_REPLAY_BUDGET, checkResume, staleCursorError, type StaleFinding, type StaleReason } from './stale-detect.js';
export { buildSpacetimeUrl } from './socket-url.js';
export { SPACETIME_LANE_DEFAULTS } from './spacetime-lane.js';
export { CHECKPOINT_ACK_DEFAULTS, type CheckpointAckOptions } from './checkpoint-acks.js';
