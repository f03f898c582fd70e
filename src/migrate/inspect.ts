import { resolve } from 'node:path';
import { SQLITE_MIGRATIONS, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { readStoreFile, storeCounts, storeCursors, type StoreKind } from './read-store.js';

/** What `khala-sync store inspect` prints (docs/migrations.md). */
export interface StoreInspection {
  /** The file inspected. */
  path: string;
  /** What it is: our SQLite store, the desktop checkpoint file or the web shell's sync state. */
  kind: StoreKind;
  /** The store's schema version: SQLite `user_version`, the legacy record's version (0 = unversioned v0). */
  schema_version: number;
  /** The version `migrate` brings a SQLite store to; for legacy files, the SQLite version an import creates. */
  schema_current: number;
  /** Whether `migrate` would change anything on its own (upgrade or import). */
  needs_migration: boolean;
  /** Rows per table (SQLite) or per collection (legacy JSON). */
  counts: Record<string, number>;
  /** Cursor per key: topic or stream id (desktop file: `<worker_id>/<stream_id>`). */
  watermarks: Record<string, number>;
  /** Topics the cursors are for (SQLite, web state) or streams (desktop file), sorted. */
  topics: string[];
  /** Desktop file: the workers it holds checkpoints for. */
  workers?: string[];
  /** Web state: `subscribed_topics`. */
  subscribed_topics?: string[];
  /** SQLite: cursors imported by a migration whose documents are not bootstrapped yet (key → floor). */
  imported_without_documents?: Record<string, number>;
}

/**
 * Describe a store file: kind, schema version, topics/streams, watermarks, row counts. Read-only
 * (a SQLite file is read from a private copy).
 *
 * @throws StoreError as {@link readStoreFile}.
 */
export function inspectStore(path: string, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): StoreInspection {
  const file = readStoreFile(resolve(path), migrations);
  const base = {
    path: file.path,
    kind: file.kind,
    schema_version: file.schemaVersion,
    schema_current: migrations.length,
    counts: storeCounts(file),
    watermarks: storeCursors(file),
  };
  switch (file.kind) {
    case 'khala-sqlite':
      return {
        ...base,
        needs_migration: file.schemaVersion < migrations.length,
        topics: Object.keys(file.facts.watermarks).sort(),
        imported_without_documents: file.facts.importedWithoutDocuments,
      };
    case 'desktop-checkpoints':
      return { ...base, needs_migration: true, topics: [...new Set(file.entries.map((e) => e.streamId))].sort(), workers: [...new Set(file.entries.map((e) => e.workerId))].sort() };
    case 'web-sync-state':
      return { ...base, needs_migration: true, topics: Object.keys(file.state.topicWatermarks).sort(), subscribed_topics: file.state.subscribedTopics };
  }
}
