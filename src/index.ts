// Browser-safe main entry: nothing here may reach a Node-only module. SQLite, IndexedDB, the
// Spacetime lane, the replay machine's internals (khala-sync/replay), the reference server and
// test tools have their own entry points.
export { SyncClient, type SyncClientEvents, type SyncSnapshot } from './client/sync-client.js';
export type { SyncMetrics } from './client/metrics.js';
export type { ProbeResult } from './client/liveness-probe.js';
export type { ClientTelemetryEvent, ClientSurface, TelemetryOptions, TelemetryPlugin } from './client/telemetry.js';
export type { MetricsPlugin } from './observability/client-metrics.js';
export { CLIENT_DEFAULTS, type ClientStatus, type PayloadHashPolicy, type SyncClientOptions, type UntypedPayloads } from './client/options.js';
export type { WaitOptions } from './client/abort.js';
export { UPDATES_BUFFER_SIZE, type UpdatesOptions } from './client/updates-iterator.js';
export type { LogLevel, SyncLogger } from './client/logger.js';
export type { StandardSchemaV1, StandardResult, TopicPayloads, TopicSchemas, PayloadOf, TypedDocument } from './client/topic-schemas.js';
export { defaultReconnectDelay, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './client/backoff.js';
export type { TokenContext, TokenFunction, TokenGrant, TokenSource } from './client/token-provider.js';

export type { SyncBatch, SyncDocument, SyncErrorPayload, SyncUpdate, StaleTopic, TopicCommit } from './model/types.js';
export type { AppliedBatch } from './replay/events.js';
export type { TopicPhase } from './replay/state.js';

export type { SnapshotSource, SnapshotPage, SnapshotDoc, SnapshotRequest, Hydrator } from './bootstrap/snapshot-source.js';

export type { Lane, LaneNotice, LaneSession, LaneSink, LaneSessionOptions, ClientInfo } from './adapters/lane.js';
export { khalaLane, createKhalaLane, type KhalaLaneOptions } from './adapters/khala/khala-lane.js';

export type { Transport, TransportFactory, TransportHandlers, TransportOptions, CloseInfo } from './transport/transport.js';
export { webSocketTransport } from './transport/websocket-transport.js';
export { assertSecureUrl } from './transport/secure-url.js';
export { isLoopbackHost } from './util/loopback.js';

export type { SyncStore, StoreContents } from './watermarks/store.js';
export { createMemoryStore } from './watermarks/memory-store.js';


export {
  ErrorCodes,
  type ErrorCode,
  type ErrorCodeTable,
  KhalaSyncError,
  isKhalaSyncError,
  ProtocolError,
  isProtocolError,
  ServerError,
  isServerError,
  TransportError,
  isTransportError,
  StoreError,
  isStoreError,
  SnapshotError,
  isSnapshotError,
  type ErrorSource,
} from './errors/index.js';
