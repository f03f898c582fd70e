// Page script of test/browser/migrate-chromium.test.ts: the browser migration on Chromium's real
// IndexedDB and localStorage, bundled by esbuild for the browser (Node-only imports refused).
import { createIndexedDbStore } from '../../src/indexeddb.js';
import { migrateWebShell, rollbackWebShellMigration, verifyWebShellMigration, type Manifest } from '../../src/migrate-indexeddb.js';
import type { StoreContents } from '../../src/watermarks/store.js';
import { createLegacyWebDb } from '../migrate/legacy-web-db.js';

/** What one run reports back to the test. */
export interface MigratePageResult {
  manifest: Manifest | null;
  loaded: StoreContents;
  rerun: string | undefined;
  rolledBack: boolean;
  databasesAfterRollback: string[];
  legacyKeyAfterRollback: string | null;
}

declare global {
  interface Window {
    khalaMigrate?: { run(syncState: string, legacyKey: string): Promise<MigratePageResult> };
  }
}

window.khalaMigrate = {
  async run(syncState, legacyKey) {
    localStorage.setItem('openagents.web.sync.v1', legacyKey);
    await createLegacyWebDb(indexedDB, syncState);
    const run = await migrateWebShell({ toolVersion: 'chromium-test' });
    const store = createIndexedDbStore();
    const loaded = await store.load();
    await store.close();
    await verifyWebShellMigration(run.run_id);
    const rerun = (await migrateWebShell()).manifest?.status;
    const rolled = await rollbackWebShellMigration(run.run_id);
    const dbs = await indexedDB.databases();
    return {
      manifest: run.manifest,
      loaded,
      rerun,
      rolledBack: rolled.rollback !== null,
      databasesAfterRollback: dbs.map((d) => d.name ?? '').sort(),
      legacyKeyAfterRollback: localStorage.getItem('openagents.web.sync.v1'),
    };
  },
};
