import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, KhalaSyncError, StoreError } from '../errors/index.js';
import { sdkVersion } from '../util/sdk-version.js';
import { SQLITE_MIGRATIONS, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { buildTarget, removeStaleBuilds } from './build-target.js';
import { copyFileAtomic, ioFailed, sha256File } from './fs-atomic.js';
import { acquireLock } from './lock.js';
import type { Manifest, ManifestBody, ManifestStore } from './manifest.js';
import { writeManifest } from './manifest-file.js';
import { newRunId } from './run-id.js';
import { planSource, readMappingFile } from './plan.js';
import { readStoreFile, storeCounts, type StoreFile } from './read-store.js';
import { foldWal } from './sqlite-file.js';

/** Options of {@link migrateStore}. */
export interface MigrateOptions {
  /** The store to migrate from: the desktop checkpoint JSON, a web-shell sync state export, or our SQLite store. */
  source: string;
  /** The SQLite store to write. Default: `source` itself when it is a SQLite store (an in-place upgrade); required otherwise. */
  target?: string;
  /** Move K1 topic keys to Spacetime stream ids (KHALA_PROTOCOL §5.6). Default `false`. */
  toStreams?: boolean;
  /** A JSON file of topic → stream id that wins over §5.6 (opaque ids). Default none; needs `toStreams`. */
  mapping?: string;
  /** Desktop checkpoint file: import only this worker's entries. Default: all (must be unambiguous). */
  worker?: string;
  /** Run directory (manifest and backups). Default `<target>.migrations/<run id>/`. */
  out?: string;
  /** The SQLite schema to migrate to. Default the shipped one; tests pass a longer list. */
  migrations?: readonly SqliteMigration[];
}

/** What {@link migrateStore} did. */
export interface MigrateResult {
  /** The run's manifest. */
  manifest: Manifest;
  /** Where it was written (`<run dir>/manifest.json`); `verify`, `rollback` and `contract` take this path. */
  manifestPath: string;
}

function sourceEntry(file: StoreFile, sha: string, backup: ManifestStore['backup']): ManifestStore {
  const counts = storeCounts(file);
  return { store: 'source', path: file.path, kind: file.kind, schema_before: file.schemaVersion, schema_after: file.schemaVersion, before_sha256: sha, after_sha256: sha, counts_before: counts, counts, backup };
}

function backupOf(from: string, to: string, expected: string): NonNullable<ManifestStore['backup']> {
  const sha = copyFileAtomic(from, to);
  // Someone wrote to the store between hashing and copying: better to stop than to keep a backup of another state.
  if (sha !== expected) throw new StoreError(ErrorCodes.MIGRATION_LOCKED, `${from} changed while it was being backed up; stop the app and re-run`, { details: { path: from } });
  return { path: to, sha256: sha, bytes: statSync(to).size };
}

function readTarget(path: string, inPlace: StoreFile | undefined, migrations: readonly SqliteMigration[]): StoreFile | undefined {
  if (!existsSync(path)) return undefined;
  const target = inPlace ?? readStoreFile(path, migrations);
  if (target.kind !== 'khala-sqlite') throw new StoreError(ErrorCodes.UNKNOWN_STORE, `the target ${path} is a ${target.kind}, not a khala-sync SQLite store`, { details: { path } });
  return target;
}

/**
 * Migrate a store into our SQLite store (expand → **migrate**; `verify` and `contract` are separate
 * steps): import the legacy cursors, or upgrade the schema, or move topic keys to stream ids.
 *
 * The target is rebuilt in a sibling temp file and switched in by one rename, after the backups
 * and the manifest are on disk, so a crash at any point leaves the old file or the complete new
 * one. A run that would change nothing writes a manifest with status `unchanged`. Runs on one
 * target are serialised by a lock.
 *
 * @throws StoreError (`UNKNOWN_STORE`, `STORE_VERSION_TOO_NEW`, `UNSUPPORTED_LEGACY_SCHEMA`,
 *   `INVALID_LEGACY_RECORD`, `AMBIGUOUS_CHECKPOINTS`, `BAD_MAPPING`, `MIGRATION_LOCKED`,
 *   `MIGRATION_IO_FAILED`) and KhalaSyncError `INVALID_OPTION`; nothing is changed when one is thrown.
 */
export function migrateStore(options: MigrateOptions): MigrateResult {
  const migrations = options.migrations ?? SQLITE_MIGRATIONS;
  const sourcePath = resolve(options.source);
  const source = readStoreFile(sourcePath, migrations);
  const inPlace = source.kind === 'khala-sqlite';
  const targetPath = resolve(options.target ?? (inPlace ? sourcePath : ''));
  if (!inPlace && options.target === undefined) throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, `${source.kind} needs a --target SQLite store to import into`);
  if (inPlace && targetPath !== sourcePath) throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'a SQLite store is migrated in place; leave out --target (or give the same path)');
  if (options.mapping !== undefined && !options.toStreams) throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, '--mapping only applies with --to-streams');
  const plan = planSource(source, {
    toStreams: options.toStreams ?? false,
    userMap: options.mapping === undefined ? undefined : readMappingFile(options.mapping),
    worker: options.worker,
  });

  // Refuse a bad target before anything (even the lock file) is created; read it again under the lock.
  readTarget(targetPath, inPlace ? source : undefined, migrations);
  const lock = acquireLock(targetPath);
  try {
    removeStaleBuilds(targetPath);
    const target = readTarget(targetPath, undefined, migrations);
    if (target !== undefined) foldWal(targetPath);
    const targetFacts = target?.kind === 'khala-sqlite' ? target.facts : undefined;
    const runId = newRunId();
    const runDir = resolve(options.out ?? join(dirname(targetPath), `${basename(targetPath)}.migrations`, runId));
    const sourceSha = inPlace ? null : sha256File(sourcePath);
    const beforeSha = targetFacts ? sha256File(targetPath) : null;

    const writes: Record<string, number> = {};
    const kept: Manifest['kept_target'] = [];
    for (const [key, watermark] of Object.entries(plan.cursors)) {
      const existing = targetFacts?.watermarks[key];
      // The target's own cursor sits with its documents; an imported one never moves it.
      if (existing !== undefined) kept.push({ key, target: existing, imported: watermark });
      else writes[key] = watermark;
    }
    const upgrade = targetFacts === undefined || targetFacts.schemaVersion < migrations.length;
    const changed = upgrade || Object.keys(writes).length > 0 || plan.mapping.length > 0;

    let createdDir: string | undefined;
    try {
      // The first directory this call created (the run directory or a parent of it), if any.
      createdDir = mkdirSync(runDir, { recursive: true });
    } catch (err) {
      throw ioFailed('create', runDir, err);
    }
    const manifestPath = join(runDir, 'manifest.json');
    const countsBefore = targetFacts?.counts ?? {};
    const body: ManifestBody = {
      manifest_version: 1,
      run_id: runId,
      created_at: new Date().toISOString(),
      tool: { name: 'khala-sync', version: sdkVersion() },
      operation: plan.operation,
      status: changed ? 'migrated' : 'unchanged',
      options: { to_streams: options.toStreams ?? false, worker: options.worker ?? null, mapping_file: options.mapping === undefined ? null : resolve(options.mapping) },
      stores: [],
      mapping: plan.mapping,
      cursors: plan.cursors,
      imported_without_documents: Object.keys(writes).sort(),
      kept_target: kept,
      contract: null,
      rollback: null,
    };
    const targetVersion = targetFacts?.schemaVersion ?? null;
    let manifest: Manifest | undefined;
    try {
      if (!changed) {
        if (!inPlace) body.stores.push(sourceEntry(source, sourceSha!, null));
        body.stores.push({ store: 'target', path: targetPath, kind: 'khala-sqlite', schema_before: targetVersion, schema_after: targetVersion, before_sha256: beforeSha, after_sha256: beforeSha, counts_before: countsBefore, counts: countsBefore, backup: null });
        manifest = writeManifest(manifestPath, body);
        return { manifest, manifestPath };
      }
      // Backups first: a disk that fills here has changed nothing.
      if (!inPlace) body.stores.push(sourceEntry(source, sourceSha!, backupOf(sourcePath, join(runDir, `source-${basename(sourcePath)}.backup`), sourceSha!)));
      const targetBackup = beforeSha === null ? null : backupOf(targetPath, join(runDir, `target-${basename(targetPath)}.backup`), beforeSha);
      const built = buildTarget({ targetPath, exists: targetFacts !== undefined, migrations, writes, rename: plan.mapping, runId, source: source.kind });
      try {
        body.stores.push({ store: 'target', path: targetPath, kind: 'khala-sqlite', schema_before: targetVersion, schema_after: migrations.length, before_sha256: beforeSha, after_sha256: built.sha256, counts_before: countsBefore, counts: built.counts, backup: targetBackup });
        // The manifest goes down before the switch: after a crash between the two, it still names the
        // backups (rollback works) and verify reports the target as not switched yet.
        manifest = writeManifest(manifestPath, body);
        built.commit();
        return { manifest, manifestPath };
      } finally {
        built.discard();
      }
    } finally {
      // A run that failed before its manifest leaves no half-filled run directory behind.
      if (manifest === undefined && createdDir !== undefined) rmSync(createdDir, { recursive: true, force: true });
    }
  } finally {
    lock.release();
  }
}
