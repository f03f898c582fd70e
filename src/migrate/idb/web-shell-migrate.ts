import { ErrorCodes, KhalaSyncError, StoreError } from '../../errors/index.js';
import { payloadHashText, utf8Encode } from '../../hash/index.js';
import type { JsonValue } from '../../util/json.js';
import { IDB_UPGRADES, openIdb, WATERMARKS } from '../../watermarks/indexeddb-schema.js';
import { parseLegacyJson } from '../legacy-record.js';
import { sealManifest, type ManifestBody, type ManifestStore } from '../manifest.js';
import { newRunId } from '../run-id.js';
import { mapCursorKeys } from '../topic-stream-map.js';
import { decodeWebSyncState, type WebSyncState } from '../web-sync-state.js';
import { dumpByName, dumpCounts, dumpSha256, type IdbDump } from './idb-dump.js';
import { MIGRATIONS_DB, putRun, type WebShellBackup, type WebShellRun } from './run-store.js';

/** The web shell's database (KHALA_PROTOCOL §7.1). */
export const LEGACY_WEB_DB = 'openagents.web.sync';
/** Its version that this khala-sync reads (`sync_state` / `view_state` / `meta`). */
export const LEGACY_WEB_DB_VERSION = 2;
/** The localStorage key the web shell used before IndexedDB (same JSON as `sync_state`/`primary`). */
export const LEGACY_LOCAL_STORAGE_KEY = 'openagents.web.sync.v1';

/** Where the browser migrations read and write. Every field has a default. */
export interface WebShellOptions {
  /** Default `globalThis.indexedDB` (pass fake-indexeddb's in Node tests). */
  indexedDB?: IDBFactory;
  /** Default `globalThis.localStorage` when there is one, else none. */
  localStorage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** The legacy database. Default {@link LEGACY_WEB_DB}. */
  sourceDbName?: string;
  /** Our IndexedDB store (`createIndexedDbStore`'s `dbName`). Default `'khala-sync'`. */
  targetDbName?: string;
  /** Where runs (manifest + backup) are kept. Default {@link MIGRATIONS_DB}. */
  migrationsDbName?: string;
  /** Recorded as `tool.version` (a browser cannot read package.json). Default `'unknown'`. */
  toolVersion?: string;
}

/** Options of {@link migrateWebShell}. */
export interface WebShellMigrateOptions extends WebShellOptions {
  /** Move K1 topic keys to stream ids (§5.6). Default `false`. */
  toStreams?: boolean;
  /** Topic → stream id overrides (opaque ids); needs `toStreams`. Default none. */
  mapping?: Record<string, string>;
}

/** The resolved {@link WebShellOptions}. */
export interface WebShellPlaces {
  factory: IDBFactory;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  source: string;
  target: string;
  runs: string;
}

/** Resolve the defaults of {@link WebShellOptions}. */
export function places(options: WebShellOptions): WebShellPlaces {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  if (factory === undefined) throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'no IndexedDB here: pass options.indexedDB');
  const storage = options.localStorage !== undefined ? options.localStorage : ((globalThis as { localStorage?: Storage }).localStorage ?? null);
  return { factory, storage, source: options.sourceDbName ?? LEGACY_WEB_DB, target: options.targetDbName ?? 'khala-sync', runs: options.migrationsDbName ?? MIGRATIONS_DB };
}

/** Hash and counts of the legacy side: the database records plus the localStorage value. */
export function sourceFacts(source: WebShellBackup['source']): { sha256: string | null; counts: Record<string, number> } {
  const exists = source.idb.version > 0 || source.local_storage !== null;
  return {
    sha256: exists ? payloadHashText(source as unknown as JsonValue).slice('sha256:'.length) : null,
    counts: { ...dumpCounts(source.idb), local_storage: source.local_storage === null ? 0 : 1 },
  };
}

function readLegacyState(source: WebShellBackup['source'], dbName: string): WebSyncState {
  if (source.idb.version > LEGACY_WEB_DB_VERSION) {
    throw new StoreError(ErrorCodes.STORE_VERSION_TOO_NEW, `${dbName} has version ${source.idb.version}, newer than the ${LEGACY_WEB_DB_VERSION} this khala-sync reads`, {
      details: { kind: 'web-shell-indexeddb', found: source.idb.version, known: LEGACY_WEB_DB_VERSION },
    });
  }
  const primary = source.idb.stores['sync_state']?.find(([key]) => key === 'primary')?.[1];
  // §7.1: the localStorage key is only read when IndexedDB holds nothing.
  const raw = primary ?? source.local_storage;
  if (raw === undefined || raw === null) throw new StoreError(ErrorCodes.UNKNOWN_STORE, `no web-shell sync state in ${dbName} (sync_state/primary) or localStorage ${LEGACY_LOCAL_STORAGE_KEY}`);
  return decodeWebSyncState(typeof raw === 'string' ? parseLegacyJson(raw, `${dbName} sync_state/primary`) : raw);
}

function targetEntry(before: IdbDump, after: IdbDump, path: string, backup: ManifestStore['backup']): ManifestStore {
  return {
    store: 'target',
    path,
    kind: 'khala-indexeddb',
    schema_before: before.version === 0 ? null : before.version,
    schema_after: after.version === 0 ? null : after.version,
    before_sha256: dumpSha256(before),
    after_sha256: dumpSha256(after),
    counts_before: dumpCounts(before),
    counts: dumpCounts(after),
    backup,
  };
}

async function importCursors(factory: IDBFactory, name: string, writes: Record<string, number>, runId: string): Promise<void> {
  const db = await openIdb(factory, name);
  try {
    await new Promise<void>((resolve, reject) => {
      // One transaction: a crash (tab closed) leaves either none or all of the imports.
      const tx = db.transaction(WATERMARKS, 'readwrite', { durability: 'strict' });
      const marks = tx.objectStore(WATERMARKS);
      const now = Date.now();
      for (const [topic, watermark] of Object.entries(writes)) {
        const got = marks.get(topic);
        // Re-checked inside the transaction: a concurrent run (another tab) that got here first wins.
        got.onsuccess = () => {
          if (got.result === undefined) marks.put({ topic, watermark, updatedAtMs: now, imported: { floor: watermark, source: 'web-sync-state', runId } });
        };
      }
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error('import aborted'));
    });
  } finally {
    db.close();
  }
}

/**
 * The browser migration: the web shell's `openagents.web.sync` state (or its legacy localStorage
 * value) into our IndexedDB store, with the same manifest shape as the Node commands. The backup
 * (every record of both databases) is stored in {@link MIGRATIONS_DB} before anything is written,
 * and handed back with the manifest. The legacy database is only read. Imported cursors never
 * overwrite a cursor our store already has, and are marked `imported` on their record.
 *
 * @throws StoreError `UNKNOWN_STORE`, `STORE_VERSION_TOO_NEW`, `UNSUPPORTED_LEGACY_SCHEMA`,
 *   `INVALID_LEGACY_RECORD`, `BAD_MAPPING` — nothing written when one is thrown.
 */
export async function migrateWebShell(options: WebShellMigrateOptions = {}): Promise<WebShellRun> {
  const p = places(options);
  if (options.mapping !== undefined && options.toStreams !== true) throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'mapping only applies with toStreams');
  const source = { idb: await dumpByName(p.factory, p.source), local_storage: p.storage?.getItem(LEGACY_LOCAL_STORAGE_KEY) ?? null };
  const state = readLegacyState(source, p.source);
  const before = await dumpByName(p.factory, p.target);
  if (before.version > IDB_UPGRADES.length) {
    throw new StoreError(ErrorCodes.STORE_VERSION_TOO_NEW, `${p.target} has version ${before.version}, newer than the ${IDB_UPGRADES.length} this khala-sync knows`, {
      details: { kind: 'khala-indexeddb', found: before.version, known: IDB_UPGRADES.length },
    });
  }
  const mapped = options.toStreams ? mapCursorKeys(state.topicWatermarks, options.mapping) : { cursors: state.topicWatermarks, mapping: [] };
  const held = new Map((before.stores[WATERMARKS] ?? []).map(([key, value]) => [String(key), (value as { watermark: number }).watermark]));
  const writes: Record<string, number> = {};
  const kept: ManifestBody['kept_target'] = [];
  for (const [key, watermark] of Object.entries(mapped.cursors)) {
    const existing = held.get(key);
    if (existing !== undefined) kept.push({ key, target: existing, imported: watermark });
    else writes[key] = watermark;
  }
  const changed = before.version < IDB_UPGRADES.length || Object.keys(writes).length > 0;
  const runId = newRunId();
  const backup: WebShellBackup = { format: 'khala-sync.indexeddb-backup.v1', run_id: runId, source, target: before };
  const src = sourceFacts(source);
  const backupRef = (part: string, sha: string | null) => (sha === null ? null : { path: `indexeddb:${p.runs}/${runId}/${part}`, sha256: sha, bytes: utf8Encode(JSON.stringify(part === 'source' ? source : before)).length });
  if (changed) await putRun(p.factory, p.runs, { run_id: runId, manifest: null, backup });
  if (changed) await importCursors(p.factory, p.target, writes, runId);
  const after = changed ? await dumpByName(p.factory, p.target) : before;
  const manifest = sealManifest({
    manifest_version: 1,
    run_id: runId,
    created_at: new Date().toISOString(),
    tool: { name: 'khala-sync', version: options.toolVersion ?? 'unknown' },
    operation: 'import-web-shell-indexeddb',
    status: changed ? 'migrated' : 'unchanged',
    options: { to_streams: options.toStreams ?? false, worker: null, mapping_file: null },
    stores: [
      { store: 'source', path: `indexeddb:${p.source}`, kind: 'web-shell-indexeddb', schema_before: state.schemaVersion, schema_after: state.schemaVersion, before_sha256: src.sha256, after_sha256: src.sha256, counts_before: src.counts, counts: src.counts, backup: changed ? backupRef('source', src.sha256) : null },
      targetEntry(before, after, `indexeddb:${p.target}`, changed ? backupRef('target', dumpSha256(before)) : null),
    ],
    mapping: mapped.mapping,
    cursors: mapped.cursors,
    imported_without_documents: Object.keys(writes).sort(),
    kept_target: kept,
    contract: null,
    rollback: null,
  });
  const run: WebShellRun = { run_id: runId, manifest, backup };
  await putRun(p.factory, p.runs, run);
  return run;
}
