import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { SQLITE_MIGRATIONS, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { fsyncDir, ioFailed } from './fs-atomic.js';
import { acquireLock } from './lock.js';
import type { Manifest } from './manifest.js';
import { readManifest, updateManifest } from './manifest-file.js';
import { verifyManifest } from './verify.js';

/** What {@link contractManifest} did. */
export interface ContractResult {
  /** The run's manifest after the contract. */
  manifest: Manifest;
  /** Pre-migration files removed (their backups stay in the run directory). */
  removed: string[];
  /** False when the manifest was already contracted. */
  changed: boolean;
}

/**
 * The last step, never run together with `migrate`: drop the pre-migration shape — the legacy
 * source file an import read (its backup stays). Refused unless the manifest verifies against the
 * disk right now, and after a rollback. An in-place schema upgrade keeps no old shape beside the
 * new one, so its contract only records that the window is closed.
 *
 * @throws StoreError `INVALID_MANIFEST`, `VERIFY_FAILED` (nothing removed), `MIGRATION_LOCKED`, `MIGRATION_IO_FAILED`.
 */
export function contractManifest(manifestPath: string, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): ContractResult {
  const recorded = readManifest(manifestPath);
  // A contract already on record (a crash may have cut it short): only finish its removals.
  const manifest = recorded.contract !== null ? recorded : verifyManifest(manifestPath, migrations).manifest;
  if (manifest.rollback !== null) throw new StoreError(ErrorCodes.VERIFY_FAILED, `${manifestPath} was rolled back; there is nothing to contract`, { details: { manifest: manifestPath } });
  const target = manifest.stores.find((s) => s.store === 'target')!;
  const lock = acquireLock(target.path);
  try {
    const sources = manifest.status === 'migrated' ? manifest.stores.filter((s) => s.store === 'source' && s.path !== target.path).map((s) => s.path) : [];
    const removed = manifest.contract?.removed ?? sources;
    // On record before the files go, so that verify never sees a removal the manifest does not know.
    const updated = manifest.contract !== null ? manifest : updateManifest(manifestPath, manifest, { contract: { at: new Date().toISOString(), removed } });
    const gone: string[] = [];
    for (const path of removed) {
      if (!existsSync(path)) continue;
      try {
        rmSync(path);
      } catch (err) {
        throw ioFailed('remove', path, err);
      }
      fsyncDir(dirname(path));
      gone.push(path);
    }
    return { manifest: updated, removed: gone, changed: manifest.contract === null || gone.length > 0 };
  } finally {
    lock.release();
  }
}
