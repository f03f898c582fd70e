import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { readSchemaVersion, runMigrations, SQLITE_MIGRATIONS, type SqliteDatabase, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { loadDriver } from '../watermarks/sqlite-open.js';
import { ioFailed } from './fs-atomic.js';

/** The table a migration keeps its imported cursors in (docs/migrations.md, "Cursors without documents"). */
export const IMPORTS_TABLE = 'khala_imported_cursors';

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** True when the file starts with the SQLite 3 header (an empty file is not a store either). */
export function hasSqliteHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEADER.length);
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.equals(HEADER);
  } finally {
    closeSync(fd);
  }
}

/** What a read of one of our SQLite files found. */
export interface SqliteFacts {
  schemaVersion: number;
  /** Rows per table (our tables and any other), sorted by name. */
  counts: Record<string, number>;
  watermarks: Record<string, number>;
  /** Cursors a migration imported without their documents: key → floor (docs/migrations.md). */
  importedWithoutDocuments: Record<string, number>;
}

/** Open a SQLite file with the (optional) better-sqlite3 driver. */
export function openSqlite(path: string, options: { readonly?: boolean; timeoutMs?: number } = {}): SqliteDatabase {
  const Driver = loadDriver();
  return new Driver(path, { readonly: options.readonly ?? false, fileMustExist: true, timeout: options.timeoutMs ?? 5000 });
}

function tableNames(db: SqliteDatabase): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

/** The tables a store at `version` has, from running the shipped steps on an empty in-memory database. */
export function tablesAtVersion(version: number, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): string[] {
  const db = new (loadDriver())(':memory:');
  try {
    runMigrations(db, migrations.slice(0, version));
    return tableNames(db);
  } finally {
    db.close();
  }
}

/**
 * Read the facts of an open database and check it is one of ours: schema version known, and the
 * tables that version defines all present (other tables are tolerated and counted).
 *
 * @throws StoreError `STORE_VERSION_TOO_NEW`, `UNKNOWN_STORE`.
 */
export function readSqliteFacts(db: SqliteDatabase, path: string, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): SqliteFacts {
  const schemaVersion = readSchemaVersion(db);
  if (schemaVersion > migrations.length) {
    throw new StoreError(ErrorCodes.STORE_VERSION_TOO_NEW, `${path} has sqlite schema version ${schemaVersion}, newer than the ${migrations.length} this khala-sync knows; upgrade khala-sync`, {
      details: { kind: 'khala-sqlite', found: schemaVersion, known: migrations.length },
    });
  }
  const tables = tableNames(db);
  const missing = tablesAtVersion(schemaVersion, migrations).filter((t) => !tables.includes(t));
  if (missing.length > 0 || (schemaVersion === 0 && tables.some((t) => t !== IMPORTS_TABLE))) {
    throw new StoreError(ErrorCodes.UNKNOWN_STORE, `${path} is a SQLite file but not a khala-sync store (schema version ${schemaVersion}, tables: ${tables.join(', ') || 'none'})`, {
      details: { kind: 'sqlite', schemaVersion, tables },
    });
  }
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = (db.prepare(`SELECT count(*) AS n FROM "${t.replaceAll('"', '""')}"`).get() as { n: number }).n;
  const watermarks: Record<string, number> = {};
  if (tables.includes('watermarks')) {
    for (const r of db.prepare('SELECT topic, watermark FROM watermarks ORDER BY topic').all() as Array<{ topic: string; watermark: number }>) watermarks[r.topic] = r.watermark;
  }
  const importedWithoutDocuments: Record<string, number> = {};
  if (tables.includes(IMPORTS_TABLE)) {
    for (const r of db.prepare(`SELECT topic, floor FROM ${IMPORTS_TABLE} ORDER BY topic`).all() as Array<{ topic: string; floor: number }>) {
      importedWithoutDocuments[r.topic] = r.floor;
    }
  }
  return { schemaVersion, counts, watermarks, importedWithoutDocuments };
}

/**
 * Inspect a SQLite file without writing anything next to it: even a read-only open of a WAL file
 * creates `-wal`/`-shm` siblings, so the file (and a leftover `-wal`, which holds committed data)
 * is copied to a private temp directory and read there.
 */
export function inspectSqliteFile(path: string, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): SqliteFacts {
  const dir = mkdtempSync(join(tmpdir(), 'khala-inspect-'));
  try {
    const copy = join(dir, 'store.sqlite');
    try {
      copyFileSync(path, copy);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    } catch (err) {
      throw ioFailed('read', path, err);
    }
    const db = openSqlite(copy);
    try {
      return readSqliteFacts(db, path, migrations);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fold a leftover `-wal` (a store whose process was killed) into the main file, so the file's
 * bytes are its whole state before they are hashed and backed up. The content does not change.
 *
 * @throws StoreError `MIGRATION_LOCKED` when the WAL stays: another process has the store open.
 */
export function foldWal(path: string): void {
  if (!existsSync(`${path}-wal`)) return;
  const db = openSqlite(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  if (existsSync(`${path}-wal`)) {
    throw new StoreError(ErrorCodes.MIGRATION_LOCKED, `${path} is open in another process (its WAL could not be folded); stop the app before migrating`, { details: { path } });
  }
}
