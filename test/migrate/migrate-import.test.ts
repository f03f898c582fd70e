import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectStore, migrateStore, readManifest, verifyManifest } from '../../src/migrate.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { copyFixture, sha256, tempDir } from './helpers.js';

describe('migrate: legacy JSON → our SQLite store', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('imports the desktop checkpoint file, writes a verifiable manifest, and a re-run is unchanged', async () => {
    const source = copyFixture('desktop-checkpoints.v1.json', dir);
    const target = join(dir, 'sync.sqlite');
    const sourceSha = sha256(source);
    const { manifest, manifestPath } = migrateStore({ source, target });

    expect(manifestPath).toBe(join(`${target}.migrations`, manifest.run_id, 'manifest.json'));
    expect(manifest).toMatchObject({ manifest_version: 1, status: 'migrated', operation: 'import-desktop-checkpoints', tool: { name: 'khala-sync' }, contract: null, rollback: null });
    const [src, tgt] = manifest.stores;
    expect(src).toMatchObject({ store: 'source', kind: 'desktop-checkpoints', path: source, before_sha256: sourceSha, after_sha256: sourceSha, counts: { entries: 3 } });
    expect(src?.backup?.sha256).toBe(sourceSha);
    expect(tgt).toMatchObject({ store: 'target', kind: 'khala-sqlite', schema_before: null, schema_after: 2, before_sha256: null, backup: null });
    expect(tgt?.after_sha256).toBe(sha256(target));
    expect(tgt?.counts).toStrictEqual({ documents: 0, khala_imported_cursors: 3, staged_documents: 0, watermarks: 3 });
    expect(sha256(source)).toBe(sourceSha); // migrate never writes its source
    expect(readManifest(manifestPath)).toStrictEqual(manifest);
    expect(verifyManifest(manifestPath).stores.map((s) => s.expected)).toStrictEqual(['after', 'after']);

    // The store reads the imported cursors; the documents are absent and inspect says so.
    const store = createSqliteStore({ path: target });
    const loaded = await store.load();
    await store.close();
    const cursors = { 'runtime.codex.worker.events.desktopw.desktop.shared': 42, 'runtime.run.run_7': 7, 'runtime.codex.worker.worker_1': 0 };
    expect(loaded).toStrictEqual({ watermarks: cursors, documents: [] });
    expect(inspectStore(target).imported_without_documents).toStrictEqual(cursors);
    expect(manifest.imported_without_documents).toStrictEqual(Object.keys(cursors).sort());

    const again = migrateStore({ source, target: join(dir, 'sync.sqlite') });
    expect(again.manifest.status).toBe('unchanged');
    expect(again.manifest.stores[1]).toMatchObject({ before_sha256: sha256(target), after_sha256: sha256(target), backup: null });
    expect(again.manifest.kept_target).toHaveLength(3);
    verifyManifest(again.manifestPath);
  });

  it('imports a web-shell state into an existing store: its own cursors are kept, new ones added, the old file backed up', async () => {
    const target = join(dir, 'sync.sqlite');
    const store = createSqliteStore({ path: target });
    const doc = { topic: 'runtime.run_summaries', docKey: 'runtime/run_summary:r1', docVersion: 3, payload: { status: 'running' }, payloadHash: null, watermark: 20, hydrationPending: false };
    await store.commit({ topic: 'runtime.run_summaries', watermark: 20, documents: [doc] });
    await store.close();
    const before = sha256(target);
    const source = copyFixture('web-sync-state.v1.json', dir);
    const out = join(dir, 'run');
    const { manifest } = migrateStore({ source, target, out });

    expect(manifest.kept_target).toStrictEqual([{ key: 'runtime.run_summaries', target: 20, imported: 17 }]);
    expect(manifest.imported_without_documents).toStrictEqual(['runtime.codex_worker_summaries', 'worker:desktopw:desktop:shared:lifecycle']);
    const tgt = manifest.stores[1]!;
    expect(tgt).toMatchObject({ before_sha256: before, schema_before: 2, counts_before: { documents: 1, staged_documents: 0, watermarks: 1 } });
    expect(tgt.backup).toMatchObject({ path: join(out, 'target-sync.sqlite.backup'), sha256: before });
    expect(sha256(tgt.backup!.path)).toBe(before);
    const reopened = createSqliteStore({ path: target });
    const { watermarks, documents } = await reopened.load();
    await reopened.close();
    expect(watermarks).toStrictEqual({ 'runtime.run_summaries': 20, 'runtime.codex_worker_summaries': 5, 'worker:desktopw:desktop:shared:lifecycle': 3 });
    expect(documents).toStrictEqual([doc]);
  });

  it('--to-streams moves K1 topics to stream ids by §5.6 and records the mapping, non-round-trips marked', () => {
    const source = copyFixture('web-sync-state.v1.json', dir);
    const target = join(dir, 'st.sqlite');
    const { manifest } = migrateStore({ source, target, toStreams: true });
    expect(manifest.cursors).toStrictEqual({
      'runtime.topic.runtime.codex_worker_summaries': 5,
      'runtime.topic.runtime.run_summaries': 17,
      'runtime.worker.desktopw:desktop:shared.lifecycle': 3,
    });
    expect(manifest.mapping.find((m) => m.from === 'runtime.run_summaries')).toStrictEqual({ from: 'runtime.run_summaries', to: 'runtime.topic.runtime.run_summaries', rule: 'fallback', reverse: null });
    expect(manifest.mapping.find((m) => m.rule === 'worker_lifecycle')?.reverse).toBe('worker:desktopw:desktop:shared:lifecycle');
    expect(Object.keys(inspectStore(target).watermarks)).toStrictEqual(Object.keys(manifest.cursors));
    expect(existsSync(`${target}-wal`)).toBe(false);
  });

  it('imports the unversioned legacy v0 web state and one chosen worker of a two-worker file', () => {
    expect(migrateStore({ source: copyFixture('web-sync-state.v0.json', dir), target: join(dir, 'a.sqlite') }).manifest.cursors).toStrictEqual({ 'runtime.run_summaries': 12 });
    const { manifest } = migrateStore({ source: copyFixture('desktop-checkpoints.two-workers.json', dir), target: join(dir, 'b.sqlite'), worker: 'desktopw:a' });
    expect(manifest.cursors).toStrictEqual({ 'runtime.run.run_7': 7 });
    expect(manifest.options.worker).toBe('desktopw:a');
  });
});
