import { readFileSync, statSync } from 'node:fs';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { SQLITE_MIGRATIONS, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { decodeDesktopCheckpoints, isDesktopCheckpoints, type DesktopCheckpoint } from './desktop-checkpoints.js';
import { ioFailed } from './fs-atomic.js';
import { parseLegacyJson } from './legacy-record.js';
import { hasSqliteHeader, inspectSqliteFile, type SqliteFacts } from './sqlite-file.js';
import { decodeWebSyncState, isWebSyncState, type WebSyncState } from './web-sync-state.js';

/** The store shapes the migrations read. */
export type StoreKind = 'khala-sqlite' | 'desktop-checkpoints' | 'web-sync-state';

/** A store file, read and validated (nothing was written). */
export type StoreFile =
  | { kind: 'khala-sqlite'; path: string; schemaVersion: number; facts: SqliteFacts }
  | { kind: 'desktop-checkpoints'; path: string; schemaVersion: number; entries: DesktopCheckpoint[] }
  | { kind: 'web-sync-state'; path: string; schemaVersion: number; state: WebSyncState };

/** Legacy JSON stores are small; anything bigger is not one of them (and is not read whole). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Identify and read a store file: our SQLite store (any schema version up to the current one),
 * the desktop checkpoint JSON (§7.3) or an exported web-shell `PersistedSyncState` (§7.1).
 * Read-only: nothing is written to or beside the file.
 *
 * @param migrations the SQLite schema to judge versions by; default the shipped one (tests pass a longer one).
 * @throws StoreError `UNKNOWN_STORE`, `STORE_VERSION_TOO_NEW`, `UNSUPPORTED_LEGACY_SCHEMA`,
 *   `INVALID_LEGACY_RECORD`, `MIGRATION_IO_FAILED` (missing or unreadable file).
 */
export function readStoreFile(path: string, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): StoreFile {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new StoreError(ErrorCodes.UNKNOWN_STORE, `${path} is not a regular file`, { details: { path } });
    size = st.size;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw ioFailed('read', path, err);
  }
  if (size > 0 && hasSqliteHeader(path)) {
    const facts = inspectSqliteFile(path, migrations);
    return { kind: 'khala-sqlite', path, schemaVersion: facts.schemaVersion, facts };
  }
  if (size === 0 || size > MAX_JSON_BYTES) throw new StoreError(ErrorCodes.UNKNOWN_STORE, `${path} is not a store khala-sync knows (${size} bytes)`, { details: { path, bytes: size } });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw ioFailed('read', path, err);
  }
  const value = parseLegacyJson(text, path);
  if (isDesktopCheckpoints(value)) return { kind: 'desktop-checkpoints', path, schemaVersion: 1, entries: decodeDesktopCheckpoints(value) };
  if (isWebSyncState(value)) {
    const state = decodeWebSyncState(value);
    return { kind: 'web-sync-state', path, schemaVersion: state.schemaVersion, state };
  }
  throw new StoreError(ErrorCodes.UNKNOWN_STORE, `${path} is JSON but not a store khala-sync knows (expected the desktop checkpoint file or a web-shell sync state)`, { details: { path } });
}

/** Row counts of a store file, per table (SQLite) or per collection (legacy JSON). */
export function storeCounts(file: StoreFile): Record<string, number> {
  switch (file.kind) {
    case 'khala-sqlite':
      return file.facts.counts;
    case 'desktop-checkpoints':
      return { entries: file.entries.length };
    case 'web-sync-state':
      return { topic_watermarks: Object.keys(file.state.topicWatermarks).length, subscribed_topics: file.state.subscribedTopics.length };
  }
}

/** The cursors a store file holds, keyed as it keys them (topics or stream ids). */
export function storeCursors(file: StoreFile): Record<string, number> {
  switch (file.kind) {
    case 'khala-sqlite':
      return file.facts.watermarks;
    case 'desktop-checkpoints': {
      const out: Record<string, number> = {};
      for (const e of file.entries) out[`${e.workerId}/${e.streamId}`] = e.watermark;
      return out;
    }
    case 'web-sync-state':
      return file.state.topicWatermarks;
  }
}
