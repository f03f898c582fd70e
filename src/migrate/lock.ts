import { ErrorCodes, StoreError } from '../errors/index.js';
import type { SqliteDatabase } from '../watermarks/sqlite-schema.js';
import { loadDriver } from '../watermarks/sqlite-open.js';

/** A held migration lock; `release` is idempotent. */
export interface MigrationLock {
  readonly path: string;
  release(): void;
}

/** The lock file of a store: `<store>.migrate-lock` (left in place; its presence means nothing). */
export function lockPathOf(storePath: string): string {
  return `${storePath}.migrate-lock`;
}

/**
 * Take the store's migration lock without waiting. The lock is an exclusive SQLite transaction on
 * the lock file, i.e. an OS file lock: a process killed with SIGKILL releases it with its file
 * descriptors, so there is no stale lock to clean up and no pid guessing.
 *
 * @throws StoreError `MIGRATION_LOCKED` when another run (any process) holds it.
 */
export function acquireLock(storePath: string): MigrationLock {
  const path = lockPathOf(storePath);
  const Driver = loadDriver();
  let db: SqliteDatabase | undefined;
  try {
    db = new Driver(path, { timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY' || (err as { code?: string }).code === 'SQLITE_LOCKED') {
      throw new StoreError(ErrorCodes.MIGRATION_LOCKED, `another migration of ${storePath} is running (lock ${path}); wait for it, then re-run`, { details: { lock: path } });
    }
    throw new StoreError(ErrorCodes.MIGRATION_IO_FAILED, `cannot create the lock file ${path}`, { details: { lock: path }, cause: err });
  }
  const held = db;
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try {
        held.exec('ROLLBACK');
      } finally {
        held.close();
      }
    },
  };
}
