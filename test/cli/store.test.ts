import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, dirState, tempDir } from '../migrate/helpers.js';
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
