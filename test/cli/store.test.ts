import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, dirState, tempDir } from '../migrate/helpers.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { runMigrations, SQLITE_MIGRATIONS } from '../../src/watermarks/sqlite-schema.js';
import { ensureBuilt, startCli } from './built-cli.js';

beforeAll(() => ensureBuilt(), 300_000);

async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = startCli(['store', ...args]);
  const code = await run.exited;
  return { code, out: run.stdout(), err: run.stderr() };
}

describe('khala-sync store', { timeout: 60_000 }, () => {
  const { dir, cleanup } = tempDir('khala-store-cli-');
  afterAll(() => cleanup());

  it('inspect → migrate → verify on a legacy checkpoint file; the manifest answers the jq query', async () => {
    const source = copyFixture('desktop-checkpoints.v1.json', dir);
    const target = join(dir, 'sync.sqlite');
    const inspected = await cli(['inspect', source]);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.out)).toMatchObject({ kind: 'desktop-checkpoints', schema_version: 1, counts: { entries: 3 }, workers: ['desktopw:desktop:shared'] });

    const migrated = await cli(['migrate', source, '--target', target, '--out', join(dir, 'run')]);
    expect(migrated.code, migrated.err).toBe(0);
    const result = JSON.parse(migrated.out) as { status: string; manifest: string };
    expect(result).toMatchObject({ status: 'migrated', manifest: join(dir, 'run', 'manifest.json') });
    const verified = await cli(['verify', result.manifest]);
    expect(verified.code, verified.err).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ status: 'verified' });

    // What `jq '.stores[] | {store, counts}'` prints, one object per store (jq is not on every CI machine).
    const manifest = JSON.parse(readFileSync(result.manifest, 'utf8')) as { stores: Array<{ store: unknown; counts: unknown }> };
    expect(manifest.stores.map(({ store, counts }) => ({ store, counts }))).toStrictEqual([
      { store: 'source', counts: { entries: 3 } },
      { store: 'target', counts: { documents: 0, khala_imported_cursors: 3, staged_documents: 0, watermarks: 3 } },
    ]);
    const again = await cli(['migrate', source, '--target', target, '--out', join(dir, 'run2')]);
    expect(JSON.parse(again.out)).toMatchObject({ status: 'unchanged' });
  });

  it('inspect → migrate → verify on a v1 store (before snapshot staging): upgraded in place to v2, data kept', async () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = new Database(path);
    runMigrations(v1, SQLITE_MIGRATIONS.slice(0, 1));
    v1.prepare('INSERT INTO watermarks VALUES (?, ?, ?)').run('t', 9, 0);
    v1.prepare('INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)').run('t', 'k', 9, '{"keep":"é"}', null, 9, 0);
    v1.close();
    const inspected = await cli(['inspect', path]);
    expect(inspected.code, inspected.err).toBe(0);
    expect(JSON.parse(inspected.out)).toMatchObject({ kind: 'khala-sqlite', schema_version: 1, schema_current: 2, needs_migration: true, counts: { documents: 1, watermarks: 1 }, watermarks: { t: 9 } });

    const migrated = await cli(['migrate', path, '--out', join(dir, 'v1-run')]);
    expect(migrated.code, migrated.err).toBe(0);
    const result = JSON.parse(migrated.out) as { status: string; manifest: string };
    expect(result.status).toBe('migrated');
    const manifest = JSON.parse(readFileSync(result.manifest, 'utf8')) as { stores: Array<Record<string, unknown>> };
    expect(manifest.stores[0]).toMatchObject({ schema_before: 1, schema_after: 2, counts: { documents: 1, staged_documents: 0, watermarks: 1 } });
    expect((await cli(['verify', result.manifest])).code).toBe(0);
    expect(JSON.parse((await cli(['inspect', path])).out)).toMatchObject({ schema_version: 2, needs_migration: false });

    const store = createSqliteStore({ path });
    expect(await store.load()).toMatchObject({ watermarks: { t: 9 }, documents: [{ docKey: 'k', payload: { keep: 'é' } }] });
    await store.close();
  });

  it('a refused input exits 1 with its code on stderr and writes nothing; a bad command line exits 2', async () => {
    const bad = copyFixture('web-sync-state.downgrade.json', dir);
    const before = dirState(dir);
    const refused = await cli(['migrate', bad, '--target', join(dir, 'other.sqlite')]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^khala-sync store: unsupported_legacy_schema: /);
    expect(refused.out).toBe('');
    expect(dirState(dir)).toStrictEqual(before);
    expect((await cli(['verify', join(dir, 'missing.json')])).err).toMatch(/invalid_manifest/);
    expect((await cli(['frob', 'x'])).code).toBe(2);
    expect((await cli(['inspect'])).code).toBe(2);
    expect((await cli(['inspect', bad, '--to-streams'])).code).toBe(2);
    expect((await cli(['migrate', join(dir, 'desktop-checkpoints.v1.json')])).code).toBe(2);
  });
});
