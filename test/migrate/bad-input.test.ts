import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectStore, migrateStore } from '../../src/migrate.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { codeOf, copyFixture, dirState, tempDir } from './helpers.js';

describe('migrate refuses bad input with a typed error and writes nothing', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  function refuses(make: () => string, code: string, target: string | null = join(dir, 'out.sqlite')): void {
    const source = make();
    const before = dirState(dir);
    expect(codeOf(() => inspectStore(source))).toBe(code);
    expect(codeOf(() => migrateStore({ source, ...(target === null ? {} : { target }) }))).toBe(code);
    expect(dirState(dir)).toStrictEqual(before);
  }

  it.each([
    ['a JSON file that is no store', 'not-a-store.json', 'unknown_store'],
    ['a desktop file with a duplicate (worker_id, stream_id)', 'desktop-checkpoints.duplicate-id.json', 'invalid_legacy_record'],
    ['a desktop file with an empty stream_id', 'desktop-checkpoints.empty-id.json', 'invalid_legacy_record'],
    ['a desktop file of a newer version', 'desktop-checkpoints.v2.json', 'store_version_too_new'],
    ['a web state with a downgrade schema_version', 'web-sync-state.downgrade.json', 'unsupported_legacy_schema'],
    ['a web state with a negative watermark', 'web-sync-state.bad-watermark.json', 'invalid_legacy_record'],
  ])('%s → %s', (_name, fixture, code) => {
    refuses(() => copyFixture(fixture, dir), code);
  });

  it('a text file, an empty file and a directory are not stores', () => {
    refuses(() => {
      writeFileSync(join(dir, 'notes.txt'), 'hello');
      return join(dir, 'notes.txt');
    }, 'unknown_store');
    refuses(() => {
      writeFileSync(join(dir, 'empty'), '');
      return join(dir, 'empty');
    }, 'unknown_store');
    refuses(() => dir, 'unknown_store');
  });

  it('a SQLite file of another application is not our store', () => {
    refuses(() => {
      const path = join(dir, 'other.sqlite');
      const db = new Database(path);
      db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)');
      db.close();
      return path;
    }, 'unknown_store', null);
  });

  it('a SQLite store of a schema newer than this tool knows is refused, in place and as a target', async () => {
    const path = join(dir, 'newer.sqlite');
    await createSqliteStore({ path }).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    refuses(() => path, 'store_version_too_new', null);
    const source = copyFixture('desktop-checkpoints.v1.json', dir);
    const before = dirState(dir);
    expect(codeOf(() => migrateStore({ source, target: path }))).toBe('store_version_too_new');
    expect(dirState(dir)).toStrictEqual(before);
  });

  it('a legacy JSON file as the target, a missing --target, and options that do not fit are refused', () => {
    const source = copyFixture('desktop-checkpoints.v1.json', dir);
    const other = copyFixture('web-sync-state.v1.json', dir);
    const before = dirState(dir);
    expect(codeOf(() => migrateStore({ source, target: other }))).toBe('unknown_store');
    expect(codeOf(() => migrateStore({ source }))).toBe('invalid_option');
    expect(codeOf(() => migrateStore({ source, target: join(dir, 'x.sqlite'), toStreams: true }))).toBe('invalid_option');
    expect(codeOf(() => migrateStore({ source: other, target: join(dir, 'x.sqlite'), worker: 'w' }))).toBe('invalid_option');
    expect(codeOf(() => migrateStore({ source: other, target: join(dir, 'x.sqlite'), mapping: join(dir, 'nope.json') }))).toBe('invalid_option');
    expect(codeOf(() => migrateStore({ source: other, target: join(dir, 'x.sqlite'), toStreams: true, mapping: join(dir, 'nope.json') }))).toBe('bad_mapping');
    expect(codeOf(() => migrateStore({ source: copyFixture('desktop-checkpoints.two-workers.json', dir), target: join(dir, 'x.sqlite') }))).toBe('ambiguous_checkpoints');
    expect(codeOf(() => migrateStore({ source: join(dir, 'missing.json'), target: join(dir, 'x.sqlite') }))).toBe('migration_io_failed');
    delete before['desktop-checkpoints.two-workers.json'];
    const after = dirState(dir);
    delete after['desktop-checkpoints.two-workers.json'];
    expect(after).toStrictEqual(before);
  });
});
