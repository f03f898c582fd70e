import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { copyFileAtomic, fsyncDir, ioFailed, moveAside, sha256File, tempSibling } from './fs-atomic.js';
import { acquireLock } from './lock.js';
import type { Manifest, ManifestStore } from './manifest.js';
import { readManifest, updateManifest } from './manifest-file.js';

/** What {@link rollbackManifest} did. */
export interface RollbackResult {
  /** The run's manifest after the rollback. */
  manifest: Manifest;
  /** Stores whose bytes were restored from their backup, or moved away because they did not exist before. */
  restored: string[];
  /** Where the replaced files went (`<path>.rolled-back-<run id>`): nothing is deleted. */
  movedAside: string[];
  /** False when every store already had its pre-migration bytes (a repeated rollback). */
  changed: boolean;
}

function checkBackup(entry: ManifestStore): void {
  if (entry.before_sha256 === null) return;
  const at = { store: entry.store, path: entry.path };
  if (entry.backup === null) {
    // An unchanged run has no backup because nothing changed; any other store must have one.
    if (sha256File(entry.path) === entry.before_sha256) return;
    throw new StoreError(ErrorCodes.BACKUP_INVALID, `${entry.path} has no backup in the manifest and differs from its pre-migration bytes; cannot roll back`, { details: at });
  }
  const found = existsSync(entry.backup.path) ? sha256File(entry.backup.path) : null;
  if (found === null) throw new StoreError(ErrorCodes.BACKUP_INVALID, `the backup ${entry.backup.path} is missing; nothing was touched`, { details: { ...at, backup: entry.backup.path } });
  if (found !== entry.backup.sha256 || found !== entry.before_sha256) {
    throw new StoreError(ErrorCodes.BACKUP_INVALID, `the backup ${entry.backup.path} was altered (sha256 ${found}, manifest ${entry.backup.sha256}); nothing was touched`, {
      details: { ...at, backup: entry.backup.path, expected: entry.before_sha256, found },
    });
  }
}

/**
 * Put every store of a manifest back to its exact pre-migration bytes (`sha256` = `before_sha256`):
 * a file restore from the backups, nothing truncated — the current file (and its `-wal`/`-shm`)
 * is moved aside, and a target that did not exist before is moved aside rather than deleted.
 * Every backup is checked before anything is touched. Running it again changes nothing.
 *
 * @throws StoreError `INVALID_MANIFEST`, `BACKUP_INVALID` (missing or altered backup; nothing
 *   touched), `MIGRATION_LOCKED`, `MIGRATION_IO_FAILED`.
 */
export function rollbackManifest(manifestPath: string): RollbackResult {
  const manifest = readManifest(manifestPath);
  for (const entry of manifest.stores) checkBackup(entry);
  const target = manifest.stores.find((s) => s.store === 'target') ?? manifest.stores[0];
  const lock = acquireLock(target!.path);
  try {
    const restored: string[] = [];
    const movedAside: string[] = [];
    for (const entry of manifest.stores) {
      const current = sha256File(entry.path);
      if (current === entry.before_sha256 && !existsSync(`${entry.path}-wal`)) continue;
      const aside = `${entry.path}.rolled-back-${manifest.run_id}`;
      if (entry.before_sha256 === null || entry.backup === null) {
        if (moveAside(entry.path, aside)) movedAside.push(aside);
        restored.push(entry.path);
        continue;
      }
      // Stage the restored bytes beside the store first, so the store path is empty only for the
      // instant between moving the current file aside and the rename.
      const staged = tempSibling(entry.path, 'restoring');
      copyFileAtomic(entry.backup.path, staged);
      if (moveAside(entry.path, aside)) movedAside.push(aside);
      try {
        renameSync(staged, entry.path);
      } catch (err) {
        throw ioFailed('rename', entry.path, err);
      }
      fsyncDir(dirname(entry.path));
      restored.push(entry.path);
    }
    for (const entry of manifest.stores) {
      const now = sha256File(entry.path);
      if (now !== entry.before_sha256) throw new StoreError(ErrorCodes.VERIFY_FAILED, `after rollback ${entry.path} has sha256 ${now}, not ${entry.before_sha256}`, { details: { path: entry.path } });
    }
    const changed = restored.length > 0;
    const updated = changed || manifest.rollback === null ? updateManifest(manifestPath, manifest, { rollback: { at: new Date().toISOString(), moved_aside: [...(manifest.rollback?.moved_aside ?? []), ...movedAside] } }) : manifest;
    return { manifest: updated, restored, movedAside, changed };
  } finally {
    lock.release();
  }
}
