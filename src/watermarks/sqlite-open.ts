import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { assertKnownVersion, runMigrations, type SqliteDatabase } from './sqlite-schema.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import { toStoreError } from './store-guards.js';

// Loading better-sqlite3 (an optional dependency, with a native module) and opening a database
// tuned for the store's write pattern; the store itself is sqlite-store.ts.

/** The store kind named in its errors. */
export const SQLITE_KIND = 'sqlite';

/** The driver of this package's own `better-sqlite3`, once its native module was seen to load. */
let loaded: typeof BetterSqlite3 | undefined;

/**
 * The better-sqlite3 constructor (also used by the store migrations), resolved from `from`
 * (default: this module, i.e. the app's install).
 *
 * Loaded on first use rather than imported, so that a missing optional dependency becomes a clear
 * StoreError instead of a module-resolution crash of the whole entry point. The package's
 * JavaScript loads even when its native module was never built (npm ≥ 12 skips unapproved install
 * scripts; an optional dependency whose build failed is dropped without a word), and the failure
 * would then surface later as a misleading "cannot open the file": so one in-memory database is
 * opened here first, and that failure gets its own message saying how to fix it.
 */
export function loadDriver(from: string = import.meta.url): typeof BetterSqlite3 {
  if (loaded !== undefined && from === import.meta.url) return loaded;
  let Driver: typeof BetterSqlite3;
  try {
    Driver = createRequire(from)('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw new StoreError(ErrorCodes.STORE_FAILED, 'sqlite store needs the optional dependency better-sqlite3 (npm install better-sqlite3)', {
      details: { kind: SQLITE_KIND },
      cause: err,
    });
  }
  try {
    new Driver(':memory:').close();
  } catch (err) {
    throw new StoreError(
      ErrorCodes.STORE_FAILED,
      'better-sqlite3 is installed but its native module does not load (its install script did not run, or it was built for another Node or Electron): run `npm rebuild better-sqlite3`, after `npm approve-scripts better-sqlite3` on npm 12 or later',
      { details: { kind: SQLITE_KIND, reason: 'native_module' }, cause: err },
    );
  }
  if (from === import.meta.url) loaded = Driver;
  return Driver;
}

/** Page size given to new database files (bytes). */
export const SQLITE_PAGE_SIZE = 2048;
/** WAL size after which a commit runs an automatic checkpoint (bytes). */
const SQLITE_WAL_CHECKPOINT_BYTES = 16 * 1024 * 1024;

/** Open (creating if missing) the store's database at `options.path`: tuned, WAL, migrated to the current schema. */
export function openDatabase(options: SqliteStoreOptions): SqliteDatabase {
  const Driver = loadDriver();
  let db: SqliteDatabase | undefined;
  try {
    db = new Driver(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    assertKnownVersion(db);
    // Performance (bench profile, docs/benchmarks.md): a batch upserts ~200 documents at random
    // keys, so a commit dirties about one table page per document and the WAL appends every dirty
    // page whole. 2 KiB pages (SQLite's default is 4 KiB) halve those bytes with ~200-byte rows;
    // 1 KiB made bulk inserts and loads slower than they saved. Only takes effect on a new, empty
    // file (a no-op on existing ones), and must come before the journal mode is set.
    db.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
    // WAL lets readers run beside the writer and turns a commit into one append to the log.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // Checkpoint after 16 MiB of WAL instead of SQLite's 1000 pages: a checkpoint copies back every
    // page touched since the last one, and with random keys nearly every page of the table is, so
    // rarer checkpoints copy each page once for many commits (measured: commits ~35% cheaper). The
    // WAL file is bounded by this size plus one transaction; durability is unchanged.
    db.pragma(`wal_autocheckpoint = ${Math.floor(SQLITE_WAL_CHECKPOINT_BYTES / (db.pragma('page_size', { simple: true }) as number))}`);
    runMigrations(db);
    return db;
  } catch (err) {
    db?.close();
    throw toStoreError(SQLITE_KIND, 'open', err);
  }
}
