export { startSpacetimeServer, SPACETIME_SERVER_DEFAULTS } from './spacetime-server.js';
export { SPACETIME_HTTP_PATHS } from './http-endpoints.js';
export type { AppendInput, SyncEventRecord } from './event-table.js';
export type { SpacetimeFaults, SpacetimeServer, SpacetimeServerOptions, SpacetimeServerStats } from './types.js';
export type { CheckpointCall, CheckpointRow, ReducerFault } from './checkpoint-reducer.js';
