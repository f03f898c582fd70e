/**
 * `khala-sync/server`: a reference K1/Phoenix sync server for tests, demos, the parity harness and
 * benchmarks. See docs/reference-server.md.
 */
export { startReferenceServer } from './reference-server.js';
export { DEFAULT_COMPATIBILITY, DEFAULT_TOPICS, SERVER_DEFAULTS } from './options.js';
export type { CompatibilityWindow, ReferenceServerOptions, TopicPolicy } from './options.js';
export type {
  DocumentState,
  Faults,
  JournalEntry,
  MintClaims,
  PublishInput,
  ReferenceServer,
  ServerStats,
} from './types.js';

// The reference Spacetime (SpacetimeDB v1 JSON, `sync_event`) server: see docs/spacetime-lane.md.
export { startSpacetimeServer, SPACETIME_SERVER_DEFAULTS, SPACETIME_HTTP_PATHS } from './spacetime/index.js';
export type { AppendInput, CheckpointCall, CheckpointRow, ReducerFault, SpacetimeFaults, SpacetimeServer, SpacetimeServerOptions, SpacetimeServerStats, SyncEventRecord } from './spacetime/index.js';
