/**
 * `khala-sync/migrate-indexeddb`: the browser store migration — the web shell's
 * `openagents.web.sync` state (or its legacy localStorage value) into our IndexedDB store, with the
 * manifest shape of the Node commands, the backup kept in IndexedDB and handed to the app, verify,
 * rollback and contract (docs/migrations.md, "In the browser"). Browser-safe.
 *
 * @packageDocumentation
 */
export { migrateWebShell, LEGACY_WEB_DB, LEGACY_LOCAL_STORAGE_KEY, type WebShellOptions, type WebShellMigrateOptions } from './migrate/idb/web-shell-migrate.js';
export { verifyWebShellMigration, rollbackWebShellMigration, contractWebShellMigration, type RunRef } from './migrate/idb/web-shell-restore.js';
export { getRun as loadWebShellRun, listRuns as listWebShellRuns, MIGRATIONS_DB, type WebShellRun, type WebShellBackup } from './migrate/idb/run-store.js';
export type { IdbDump } from './migrate/idb/idb-dump.js';
export { MANIFEST_VERSION, checkManifest, type Manifest, type ManifestStore } from './migrate/manifest.js';
export { topicToStream, streamToTopic, mapCursorKeys, type MappingEntry, type MappingRule } from './migrate/topic-stream-map.js';
export { decodeWebSyncState, type WebSyncState } from './migrate/web-sync-state.js';
