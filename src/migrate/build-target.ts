import { closeSync, copyFileSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { runMigrations, type SqliteDatabase, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { loadDriver, SQLITE_PAGE_SIZE } from '../watermarks/sqlite-open.js';
import { fsyncDir, ioFailed, sha256File, tempSibling } from './fs-atomic.js';
import { IMPORTS_TABLE, readSqliteFacts } from './sqlite-file.js';
import type { MappingEntry } from './topic-stream-map.js';

const BUILD_TAG = 'migrating';

/** What {@link buildTarget} gets. */
export interface BuildInput {
  targetPath: string;
  /** Whether the target exists (its bytes are the starting point) or is created. */
  exists: boolean;
  migrations: readonly SqliteMigration[];
  /** Cursors to insert, imported without documents. */
  writes: Record<string, number>;
  /** Keys to rename in every table that has a `topic` column. */
  rename: readonly MappingEntry[];
  runId: string;
  /** Where imported cursors came from (recorded next to them). */
  source: string;
}

/** A finished build waiting to be switched in. */
export interface BuiltTarget {
  sha256: string;
  counts: Record<string, number>;
  /** Switch the build in: one rename over the target, then a directory fsync. */
  commit(): void;
  /** Remove the build if it was not committed (idempotent). */
  discard(): void;
}

/** Remove builds left by a killed run (only called under the migration lock). */
export function removeStaleBuilds(targetPath: string): void {
  const prefix = `.${basename(targetPath)}.${BUILD_TAG}-`;
  let names: string[];
  try {
    names = readdirSync(dirname(targetPath));
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) rmSync(join(dirname(targetPath), name), { force: true });
}

function removeBuild(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

function apply(db: SqliteDatabase, input: BuildInput): void {
  const now = Date.now();
  const keys = Object.keys(input.writes);
  if (keys.length > 0) {
    // Owned by the migration, outside the store's schema list: the store never reads it, so the
    // store's own schema steps stay independent of it (docs/migrations.md).
    db.exec(`CREATE TABLE IF NOT EXISTS ${IMPORTS_TABLE} (
      topic TEXT PRIMARY KEY NOT NULL, floor INTEGER NOT NULL, source TEXT NOT NULL,
      run_id TEXT NOT NULL, imported_at_ms INTEGER NOT NULL) WITHOUT ROWID`);
    const mark = db.prepare('INSERT INTO watermarks (topic, watermark, updated_at_ms) VALUES (?, ?, ?)');
    const note = db.prepare(`INSERT OR REPLACE INTO ${IMPORTS_TABLE} (topic, floor, source, run_id, imported_at_ms) VALUES (?, ?, ?, ?, ?)`);
    for (const key of keys) {
      mark.run(key, input.writes[key], now);
      note.run(key, input.writes[key], input.source, input.runId, now);
    }
  }
  if (input.rename.length > 0) {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>)
      .map((r) => r.name)
      .filter((t) => (db.pragma(`table_info("${t.replaceAll('"', '""')}")`) as Array<{ name: string }>).some((c) => c.name === 'topic'));
    for (const table of tables) {
      const move = db.prepare(`UPDATE "${table.replaceAll('"', '""')}" SET topic = ? WHERE topic = ?`);
      for (const m of input.rename) move.run(m.to, m.from);
    }
  }
}

/**
 * Build the migrated target in a sibling temp file: a copy of the target (or a new store), the
 * schema steps, the imports and renames in one transaction, closed (WAL folded) and fsynced.
 * Nothing at the target path is touched until `commit`.
 *
 * @throws StoreError `MIGRATION_IO_FAILED`, `BAD_MAPPING` (a rename onto an existing key).
 */
export function buildTarget(input: BuildInput): BuiltTarget {
  const tmp = tempSibling(input.targetPath, BUILD_TAG);
  let committed = false;
  const discard = () => {
    if (!committed) removeBuild(tmp);
  };
  try {
    if (input.exists) copyFileSync(input.targetPath, tmp);
    const db = new (loadDriver())(tmp, { timeout: 0 });
    let counts: Record<string, number>;
    try {
      // A new file gets the page size the store gives new files (an existing one keeps its own).
      if (!input.exists) db.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
      runMigrations(db, input.migrations);
      const taken = new Set(Object.keys(readSqliteFacts(db, input.targetPath, input.migrations).watermarks));
      for (const m of input.rename) {
        if (taken.has(m.to)) throw new StoreError(ErrorCodes.BAD_MAPPING, `topic "${m.from}" maps to "${m.to}", which the store already has`, { details: { from: m.from, to: m.to } });
      }
      db.transaction(() => apply(db, input)).immediate();
      counts = readSqliteFacts(db, input.targetPath, input.migrations).counts;
    } finally {
      db.close();
    }
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const sha256 = sha256File(tmp)!;
    return {
      sha256,
      counts,
      commit() {
        try {
          renameSync(tmp, input.targetPath);
        } catch (err) {
          throw ioFailed('rename', input.targetPath, err);
        }
        committed = true;
        fsyncDir(dirname(input.targetPath));
      },
      discard,
    };
  } catch (err) {
    discard();
    if (err instanceof StoreError) throw err;
    throw ioFailed('build', tmp, err);
  }
}
