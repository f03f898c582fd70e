import { readFileSync } from 'node:fs';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createIndexedDbStore } from '../../src/indexeddb.js';
import { contractWebShellMigration, listWebShellRuns, loadWebShellRun, migrateWebShell, rollbackWebShellMigration, verifyWebShellMigration } from '../../src/migrate-indexeddb.js';
import { dumpByName, dumpSha256 } from '../../src/migrate/idb/idb-dump.js';
import { isKhalaSyncError } from '../../src/errors/index.js';
import { createLegacyWebDb, MemoryStorage } from './legacy-web-db.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/migrate/${name}`, import.meta.url), 'utf8');

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isKhalaSyncError(err) ? err.code : `untyped: ${String(err)}`;
  }
  return 'no error';
}

/** A fresh IndexedDB with the legacy database; `syncState` null: it holds no sync state. */
async function world(syncState: string | null = fixture('web-sync-state.v1.json')) {
  const factory = new IDBFactory();
  const localStorage = new MemoryStorage();
  await createLegacyWebDb(factory, syncState);
  return { factory, localStorage, opts: { indexedDB: factory, localStorage } };
}

describe('browser migration: openagents.web.sync → our IndexedDB store (fake-indexeddb)', () => {
  it('imports the cursors with the manifest shape of the Node commands; the store reads them; a re-run is unchanged', async () => {
    const { factory, opts } = await world();
    const legacyBefore = dumpSha256(await dumpByName(factory, 'openagents.web.sync'));
    const run = await migrateWebShell(opts);
    const m = run.manifest!;
    expect(m).toMatchObject({ manifest_version: 1, operation: 'import-web-shell-indexeddb', status: 'migrated', rollback: null, contract: null });
    expect(m.stores.map((s) => ({ store: s.store, kind: s.kind, path: s.path }))).toStrictEqual([
      { store: 'source', kind: 'web-shell-indexeddb', path: 'indexeddb:openagents.web.sync' },
      { store: 'target', kind: 'khala-indexeddb', path: 'indexeddb:khala-sync' },
    ]);
    expect(m.stores[1]).toMatchObject({ before_sha256: null, schema_before: null, schema_after: 2, counts: { watermarks: 3, documents: 0, staged_documents: 0 } });
    expect(m.stores[0]?.counts).toStrictEqual({ meta: 1, sync_state: 1, view_state: 1, local_storage: 0 });
    expect(m.imported_without_documents).toStrictEqual(['runtime.codex_worker_summaries', 'runtime.run_summaries', 'worker:desktopw:desktop:shared:lifecycle']);
    // The legacy database is only read.
    expect(dumpSha256(await dumpByName(factory, 'openagents.web.sync'))).toBe(legacyBefore);
    expect(await loadWebShellRun(factory, 'khala-sync.migrations', run.run_id)).toStrictEqual(run);

    const store = createIndexedDbStore({ indexedDB: factory });
    expect(await store.load()).toStrictEqual({ watermarks: { 'runtime.codex_worker_summaries': 5, 'runtime.run_summaries': 17, 'worker:desktopw:desktop:shared:lifecycle': 3 }, documents: [] });
    await store.close();
    await verifyWebShellMigration(run.run_id, opts);
    const again = await migrateWebShell(opts);
    expect(again.manifest?.status).toBe('unchanged');
    expect(await listWebShellRuns(factory, 'khala-sync.migrations')).toHaveLength(2);
  });

  it('falls back to the legacy localStorage key when the database holds nothing, and maps topics to streams', async () => {
    const { localStorage, opts } = await world(null);
    localStorage.setItem('openagents.web.sync.v1', fixture('web-sync-state.v0.json'));
    const run = await migrateWebShell({ ...opts, toStreams: true });
    expect(run.manifest?.cursors).toStrictEqual({ 'runtime.topic.runtime.run_summaries': 12 });
    expect(run.manifest?.mapping[0]).toMatchObject({ rule: 'fallback', reverse: null });
    expect(run.backup.source.local_storage).toBe(fixture('web-sync-state.v0.json'));
  });

  it('rollback restores the exact records (the app wrote meanwhile); contract needs verify and drops the legacy shape', async () => {
    const { factory, localStorage, opts } = await world();
    localStorage.setItem('openagents.web.sync.v1', '{"topic_watermarks":{}}');
    const run = await migrateWebShell(opts);
    const store = createIndexedDbStore({ indexedDB: factory });
    await store.commit({ topic: 'runtime.run_summaries', watermark: 30, documents: [] });
    await store.close();
    expect(await codeOf(verifyWebShellMigration(run.run_id, opts))).toBe('verify_failed');
    expect(await codeOf(contractWebShellMigration(run.run_id, opts))).toBe('verify_failed');

    const rolled = await rollbackWebShellMigration(run.run_id, opts);
    expect(rolled.rollback).not.toBeNull();
    expect(dumpSha256(await dumpByName(factory, 'khala-sync'))).toBeNull(); // did not exist before
    await verifyWebShellMigration(run.run_id, opts);
    expect((await loadWebShellRun(factory, 'khala-sync.migrations', run.run_id))?.replaced).toHaveLength(1);
    await rollbackWebShellMigration(run.run_id, opts); // again: nothing to do

    const second = await migrateWebShell(opts);
    const contracted = await contractWebShellMigration(second, opts);
    expect(contracted.contract?.removed).toStrictEqual(['indexeddb:openagents.web.sync']);
    expect((await dumpByName(factory, 'openagents.web.sync')).version).toBe(0);
    expect(localStorage.getItem('openagents.web.sync.v1')).toBeNull();
    await verifyWebShellMigration(second.run_id, opts);
    // Rollback after contract brings the legacy database and key back, byte for byte.
    await rollbackWebShellMigration(second.run_id, opts);
    expect(JSON.parse(localStorage.getItem('openagents.web.sync.v1')!)).toStrictEqual({ topic_watermarks: {} });
    expect((await dumpByName(factory, 'openagents.web.sync')).stores['sync_state']).toStrictEqual([['primary', fixture('web-sync-state.v1.json')]]);
  });

  it('refuses bad input with a typed error and writes nothing', async () => {
    for (const [name, state, code] of [
      ['downgrade', fixture('web-sync-state.downgrade.json'), 'unsupported_legacy_schema'],
      ['bad watermark', fixture('web-sync-state.bad-watermark.json'), 'invalid_legacy_record'],
      ['not JSON', '{oops', 'unknown_store'],
      ['nothing stored', null, 'unknown_store'],
    ] as const) {
      const { factory, opts } = await world(state);
      const legacy = dumpSha256(await dumpByName(factory, 'openagents.web.sync'));
      expect(await codeOf(migrateWebShell(opts)), name).toBe(code);
      expect((await dumpByName(factory, 'khala-sync')).version, name).toBe(0);
      expect((await dumpByName(factory, 'khala-sync.migrations')).version, name).toBe(0);
      expect(dumpSha256(await dumpByName(factory, 'openagents.web.sync')), name).toBe(legacy);
    }
    const newer = new IDBFactory();
    await createLegacyWebDb(newer, fixture('web-sync-state.v1.json'), 3);
    expect(await codeOf(migrateWebShell({ indexedDB: newer, localStorage: null }))).toBe('store_version_too_new');
    // A tampered run (manifest or backup) is refused by verify and rollback.
    const { factory, opts } = await world();
    const run = await migrateWebShell(opts);
    const edited = { ...run, manifest: { ...run.manifest!, cursors: { x: 1 } } };
    expect(await codeOf(verifyWebShellMigration(edited, opts))).toBe('invalid_manifest');
    const badBackup = { ...run, backup: { ...run.backup, target: { ...run.backup.target, version: 9 } } };
    expect(await codeOf(rollbackWebShellMigration(badBackup, opts))).toBe('backup_invalid');
    expect(await codeOf(verifyWebShellMigration('no-such-run', opts))).toBe('invalid_manifest');
    expect((await dumpByName(factory, 'khala-sync')).stores['watermarks']).toHaveLength(3);
  });
});
