import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractManifest, migrateStore, rollbackManifest, verifyManifest } from '../../src/migrate.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { codeOf, copyFixture, dirState, sha256, tempDir } from './helpers.js';

describe('verify, rollback and contract', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  async function migratedExistingStore() {
    const target = join(dir, 'sync.sqlite');
    const store = createSqliteStore({ path: target });
    await store.commit({ topic: 'runtime.run_summaries', watermark: 20, documents: [] });
    await store.close();
    const before = sha256(target);
    const source = copyFixture('web-sync-state.v1.json', dir);
    const sourceSha = sha256(source);
    const result = migrateStore({ source, target, out: join(dir, 'run') });
    return { ...result, target, source, before, sourceSha };
  }

  it('verify fails loudly when a store, the manifest or a backup changed', async () => {
    const { manifestPath, target, manifest } = await migratedExistingStore();
    verifyManifest(manifestPath);

    const backup = manifest.stores[1]!.backup!.path;
    const saved = readFileSync(backup);
    appendFileSync(backup, 'x');
    expect(codeOf(() => verifyManifest(manifestPath))).toBe('verify_failed');
    writeFileSync(backup, saved);

    const text = readFileSync(manifestPath, 'utf8');
    writeFileSync(manifestPath, text.replace('"watermarks": 3', '"watermarks": 4'));
    expect(codeOf(() => verifyManifest(manifestPath))).toBe('invalid_manifest');
    writeFileSync(manifestPath, text.replace('"manifest_version": 1', '"manifest_version": 2'));
    expect(codeOf(() => verifyManifest(manifestPath))).toBe('invalid_manifest');
    writeFileSync(manifestPath, '{"not":"a manifest"}');
    expect(codeOf(() => verifyManifest(manifestPath))).toBe('invalid_manifest');
    writeFileSync(manifestPath, text);
    verifyManifest(manifestPath);

    // The app writes to the migrated store: the bytes and the counts no longer match.
    const store = createSqliteStore({ path: target });
    await store.commit({ topic: 'runtime.notifications', watermark: 1, documents: [] });
    await store.close();
    try {
      verifyManifest(manifestPath);
      expect.unreachable();
    } catch (err) {
      const problems = (err as { details: { problems: Array<{ what: string }> } }).details.problems.map((p) => p.what);
      expect(problems).toStrictEqual(['sha256', 'counts']);
    }
  });

  it('rollback restores the exact bytes, keeps what it replaced, and a second rollback changes nothing', async () => {
    const { manifestPath, target, source, before, sourceSha, manifest } = await migratedExistingStore();
    // A live session wrote to the migrated store.
    const store = createSqliteStore({ path: target });
    await store.commit({ topic: 'runtime.codex_worker_summaries', watermark: 9, documents: [] });
    await store.close();
    const replaced = sha256(target);

    const result = rollbackManifest(manifestPath);
    expect(result.changed).toBe(true);
    expect(sha256(target)).toBe(before);
    expect(sha256(source)).toBe(sourceSha);
    expect(result.movedAside).toStrictEqual([`${target}.rolled-back-${manifest.run_id}`]);
    expect(sha256(result.movedAside[0]!)).toBe(replaced);
    expect(verifyManifest(manifestPath).stores.map((s) => s.expected)).toStrictEqual(['before', 'before']);
    const state = dirState(dir);
    const again = rollbackManifest(manifestPath);
    expect(again.changed).toBe(false);
    const { 'run/manifest.json': _m1, ...rest1 } = state;
    const { 'run/manifest.json': _m2, ...rest2 } = dirState(dir);
    expect(rest2).toStrictEqual(rest1);
  });

  it('rollback of a new target moves it aside instead of deleting it', () => {
    const source = copyFixture('desktop-checkpoints.v1.json', dir);
    const target = join(dir, 'new.sqlite');
    const { manifestPath, manifest } = migrateStore({ source, target });
    const made = sha256(target);
    rollbackManifest(manifestPath);
    expect(existsSync(target)).toBe(false);
    expect(sha256(`${target}.rolled-back-${manifest.run_id}`)).toBe(made);
  });

  it('rollback refuses a missing or altered backup and touches nothing', async () => {
    const { manifestPath, manifest } = await migratedExistingStore();
    const backup = manifest.stores[1]!.backup!.path;
    const state = dirState(dir);
    appendFileSync(backup, 'tamper');
    const tampered = dirState(dir);
    expect(codeOf(() => rollbackManifest(manifestPath))).toBe('backup_invalid');
    expect(dirState(dir)).toStrictEqual(tampered);
    renameSync(backup, `${backup}.gone`);
    const missing = dirState(dir);
    expect(codeOf(() => rollbackManifest(manifestPath))).toBe('backup_invalid');
    expect(dirState(dir)).toStrictEqual(missing);
    rmSync(`${backup}.gone`);
    expect(Object.keys(state)).toContain('run/target-sync.sqlite.backup');
  });

  it('contract refuses unless the manifest verifies, then drops the legacy source; rollback still restores it', async () => {
    const { manifestPath, target, source, sourceSha } = await migratedExistingStore();
    const saved = readFileSync(target);
    appendFileSync(target, Buffer.alloc(16));
    const state = dirState(dir);
    expect(codeOf(() => contractManifest(manifestPath))).toBe('verify_failed');
    expect(dirState(dir)).toStrictEqual(state);
    writeFileSync(target, saved);

    const result = contractManifest(manifestPath);
    expect(result.removed).toStrictEqual([source]);
    expect(existsSync(source)).toBe(false);
    expect(verifyManifest(manifestPath).stores.map((s) => s.expected)).toStrictEqual(['removed', 'after']);
    expect(contractManifest(manifestPath).changed).toBe(false);

    rollbackManifest(manifestPath);
    expect(sha256(source)).toBe(sourceSha);
    expect(codeOf(() => contractManifest(manifestPath))).toBe('verify_failed');
  });
});
