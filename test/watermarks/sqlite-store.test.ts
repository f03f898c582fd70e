import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, StoreError } from '../../src/errors/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { readSchemaVersion, runMigrations, SQLITE_MIGRATIONS, type SqliteMigration } from '../../src/watermarks/sqlite-schema.js';
import { runStoreContract } from './store-contract.js';
import { doc } from './store-contract-fixtures.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'khala-sqlite-'));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

runStoreContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir, 'store.sqlite');
  const opened = [createSqliteStore({ path })];
  return {
    store: opened[0]!,
    reopen: async () => {
      const again = createSqliteStore({ path });
      opened.push(again);
      return again;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runStoreContract('sqlite :memory:', async () => {
  const store = createSqliteStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
}, { persistent: false });

describe('sqlite store file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'store.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses WAL, the chosen synchronous level and the schema tables', async () => {
    for (const synchronous of [undefined, 'normal', 'full'] as const) {
      const store = createSqliteStore({ path, synchronous, busyTimeoutMs: 1234 });
      expect(store.kind).toBe('sqlite');
      await store.commit({ topic: 't', watermark: 2, documents: [doc('t', 'k', 2, { a: 'é' }, { payloadHash: 'h' })] });
      await store.close();
    }
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(readSchemaVersion(db)).toBe(SQLITE_MIGRATIONS.length);
    expect(db.prepare('SELECT topic, watermark FROM watermarks').all()).toStrictEqual([{ topic: 't', watermark: 2 }]);
    expect(db.prepare('SELECT * FROM documents').all()).toStrictEqual([
      { topic: 't', doc_key: 'k', doc_version: 2, payload_json: '{"a":"é"}', payload_hash: 'h', watermark: 2, hydration_pending: 0 },
    ]);
    db.close();
  });

  it('fails with STORE_VERSION_TOO_NEW on a file from a newer schema, without touching it', () => {
    const db = new Database(path);
    db.pragma(`user_version = ${SQLITE_MIGRATIONS.length + 7}`);
    db.close();
    const err = thrown(() => createSqliteStore({ path }));
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(ErrorCodes.STORE_VERSION_TOO_NEW);
    expect((err as StoreError).details).toMatchObject({ found: SQLITE_MIGRATIONS.length + 7, known: SQLITE_MIGRATIONS.length });
    const check = new Database(path);
    expect(readSchemaVersion(check)).toBe(SQLITE_MIGRATIONS.length + 7);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
  });

  it('fails with STORE_FAILED when the file cannot be opened', () => {
    const err = thrown(() => createSqliteStore({ path: join(dir, 'missing-dir', 'x.sqlite') }));
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(ErrorCodes.STORE_FAILED);
  });

  it('migrates a v0 file (existing, unversioned) up to the current schema', async () => {
    const db = new Database(path);
    db.exec('CREATE TABLE app_notes (x TEXT)');
    db.close();
    const store = createSqliteStore({ path });
    await store.commit({ topic: 't', watermark: 1, documents: [doc('t', 'k', 1, 'v')] });
    await store.close();
    const check = new Database(path);
    expect(readSchemaVersion(check)).toBe(SQLITE_MIGRATIONS.length);
    expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'app_notes'").all()).toHaveLength(1);
    check.close();
  });

  it('upgrades a v1 file in place to the staging schema (v2), keeping its data', async () => {
    const v1 = new Database(path);
    runMigrations(v1, SQLITE_MIGRATIONS.slice(0, 1));
    v1.prepare('INSERT INTO watermarks VALUES (?, ?, ?)').run('t', 5, 0);
    v1.prepare('INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)').run('t', 'old', 5, '{"keep":"é"}', null, 5, 0);
    v1.close();
    const store = createSqliteStore({ path });
    expect(await store.load()).toStrictEqual({ watermarks: { t: 5 }, documents: [doc('t', 'old', 5, { keep: 'é' })] });
    await store.discardSnapshot('t');
    await store.stageSnapshot('t', [doc('t', 'new', 2, 'n')]);
    expect(await store.load()).toStrictEqual({ watermarks: { t: 5 }, documents: [doc('t', 'old', 5, { keep: 'é' })] });
    expect(await store.commitSnapshot('t', 2)).toStrictEqual([doc('t', 'new', 2, 'n')]);
    await store.close();
    const check = new Database(path);
    expect(readSchemaVersion(check)).toBe(2);
    expect(check.prepare('SELECT count(*) AS n FROM staged_documents').get()).toStrictEqual({ n: 0 });
    check.close();
  });

  it('runs an appended migration forward, keeping data; older code then refuses the file', async () => {
    const store = createSqliteStore({ path });
    await store.commit({ topic: 't', watermark: 4, documents: [doc('t', 'k', 4, { keep: true })] });
    await store.close();

    const v2: SqliteMigration = (db) => {
      db.exec("ALTER TABLE documents ADD COLUMN origin TEXT NOT NULL DEFAULT 'v1'");
    };
    const db = new Database(path);
    expect(runMigrations(db, [...SQLITE_MIGRATIONS, v2])).toBe(SQLITE_MIGRATIONS.length + 1);
    expect(db.prepare('SELECT doc_key, origin, payload_json FROM documents').all()).toStrictEqual([
      { doc_key: 'k', origin: 'v1', payload_json: '{"keep":true}' },
    ]);
    // Idempotent: nothing left to run.
    expect(runMigrations(db, [...SQLITE_MIGRATIONS, v2])).toBe(SQLITE_MIGRATIONS.length + 1);
    db.close();

    const err = thrown(() => createSqliteStore({ path }));
    expect((err as StoreError).code).toBe(ErrorCodes.STORE_VERSION_TOO_NEW);
  });

  it('runs every step from v0 in order', () => {
    const order: number[] = [];
    const steps: SqliteMigration[] = [0, 1, 2].map((n) => (db) => {
      order.push(n);
      db.exec(`CREATE TABLE step_${n} (x)`);
    });
    const db = new Database(path);
    expect(runMigrations(db, steps)).toBe(3);
    expect(order).toStrictEqual([0, 1, 2]);
    db.close();
  });

  it('rolls a failing migration back whole and stays at the previous version', () => {
    const boom: SqliteMigration = (db) => {
      db.exec('CREATE TABLE half_done (x)');
      throw new Error('migration failed');
    };
    const db = new Database(path);
    runMigrations(db);
    expect(() => runMigrations(db, [...SQLITE_MIGRATIONS, boom])).toThrow('migration failed');
    expect(readSchemaVersion(db)).toBe(SQLITE_MIGRATIONS.length);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all()).toHaveLength(0);
    db.close();
  });

  it('rolls back a commit whose second document fails, documents and watermark alike', async () => {
    const store = createSqliteStore({ path });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad = doc('t', 'b', 1, cyclic as never);
    await expect(store.commit({ topic: 't', watermark: 1, documents: [doc('t', 'a', 1, 'a'), bad] })).rejects.toMatchObject({
      code: ErrorCodes.STORE_FAILED,
      retryable: true,
    });
    expect(await store.load()).toStrictEqual({ watermarks: {}, documents: [] });
    await store.close();
  });
});
