/**
 * `khala-sync/migrate`: store migrations for Node — inspect, migrate, verify, rollback and
 * contract, with a versioned manifest (docs/migrations.md). The same operations as the
 * `khala-sync store …` commands. Node-only (files, better-sqlite3); the browser entry never
 * reaches it.
 *
 * @packageDocumentation
 */
export { inspectStore, type StoreInspection } from './migrate/inspect.js';
export { migrateStore, type MigrateOptions, type MigrateResult } from './migrate/migrate.js';
export { verifyManifest, type VerifyResult, type VerifyProblem } from './migrate/verify.js';
export { rollbackManifest, type RollbackResult } from './migrate/rollback.js';
export { contractManifest, type ContractResult } from './migrate/contract.js';
export { readManifest } from './migrate/manifest-file.js';
export { MANIFEST_VERSION, checkManifest, type Manifest, type ManifestStore } from './migrate/manifest.js';
export { readStoreFile, type StoreFile, type StoreKind } from './migrate/read-store.js';
export { topicToStream, streamToTopic, mapCursorKeys, type MappingEntry, type MappingRule } from './migrate/topic-stream-map.js';
export { decodeDesktopCheckpoints, desktopCursors, type DesktopCheckpoint } from './migrate/desktop-checkpoints.js';
export { decodeWebSyncState, type WebSyncState } from './migrate/web-sync-state.js';
