import type BetterSqlite3 from 'better-sqlite3';
import { ErrorCodes, StoreError } from '../errors/index.js';

/** An open better-sqlite3 connection. */
export type SqliteDatabase = BetterSqlite3.Database;

/**
 * One forward migration. `SQLITE_MIGRATIONS[i]` takes a file from schema version `i` to `i + 1`;
 * the runner wraps it, and the version bump, in one transaction.
 */
export type SqliteMigration = (db: SqliteDatabase) => void;

/**
 * The schema, as an append-only list: to change it, add a function at the end (never edit a
 * shipped one, files in the field have already run it). The schema version lives in
 * `PRAGMA user_version`, which SQLite keeps in the file header and updates inside the same
 * transaction as the migration, so a crash mid-migration leaves the previous version intact.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  // v0 -> v1: initial schema.
  (db) => {
    db.exec(`
      CREATE TABLE watermarks (
        topic         TEXT PRIMARY KEY NOT NULL,
        watermark     INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE documents (
        topic             TEXT NOT NULL,
        doc_key           TEXT NOT NULL,
        doc_version       INTEGER NOT NULL,
        payload_json      TEXT NOT NULL,
        payload_hash      TEXT,
        watermark         INTEGER NOT NULL,
        hydration_pending INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, doc_key)
      );
    `);
    // A rowid table on purpose: with ~200-byte payloads a WITHOUT ROWID table (which keeps whole
    // rows in its key b-tree) measured ~30% slower per upsert. The (topic, doc_key) key index
    // also serves "all documents of a topic" without a separate index.
  },
  // v1 -> v2: snapshot staging. Pages of a snapshot land here and one transaction moves them into
  // `documents`, so a snapshot is never held in memory whole and a crash mid-snapshot leaves the
  // old documents and watermark. Same columns as `documents`, so the swap is one INSERT … SELECT.
  // Existing data is untouched: the upgrade only adds the (empty) table.
  (db) => {
    db.exec(`
      CREATE TABLE staged_documents (
        topic             TEXT NOT NULL,
        doc_key           TEXT NOT NULL,
        doc_version       INTEGER NOT NULL,
        payload_json      TEXT NOT NULL,
        payload_hash      TEXT,
        watermark         INTEGER NOT NULL,
        hydration_pending INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, doc_key)
      );
    `);
  },
];

/** Read the schema version stored in the file (0 for a new file). */
export function readSchemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tooNew(found: number, known: number): StoreError {
  return new StoreError(
    ErrorCodes.STORE_VERSION_TOO_NEW,
    `sqlite store file has schema version ${found}, newer than the ${known} this khala-sync knows; ` +
      'upgrade khala-sync or point the store at another file',
    { details: { kind: 'sqlite', found, known } },
  );
}

/**
 * Refuse a file written by a newer schema before anything touches it (even the journal mode).
 *
 * @throws StoreError `STORE_VERSION_TOO_NEW`.
 */
export function assertKnownVersion(db: SqliteDatabase, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): void {
  const found = readSchemaVersion(db);
  if (found > migrations.length) throw tooNew(found, migrations.length);
}

/**
 * Bring the file up to `migrations.length`, one transaction per step. The version is re-read
 * inside each `BEGIN IMMEDIATE` transaction so that two processes opening the same old file do
 * not both run a step.
 *
 * @param migrations the list to apply; defaults to {@link SQLITE_MIGRATIONS} (tests pass a longer one).
 * @returns the schema version the file is at afterwards.
 * @throws StoreError `STORE_VERSION_TOO_NEW` when the file is newer than `migrations` knows.
 */
export function runMigrations(db: SqliteDatabase, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): number {
  const target = migrations.length;
  for (;;) {
    const found = readSchemaVersion(db);
    if (found > target) throw tooNew(found, target);
    if (found === target) return found;
    const step = db.transaction(() => {
      const current = readSchemaVersion(db);
      if (current !== found) return; // Another connection moved it on; loop and look again.
      const migrate = migrations[current];
      if (migrate === undefined) throw tooNew(current, target);
      migrate(db);
      db.pragma(`user_version = ${current + 1}`);
    });
    step.immediate();
  }
}
