import { ErrorCodes, StoreError } from '../../errors/index.js';
import { IDB_UPGRADES, openIdb } from '../../watermarks/indexeddb-schema.js';
import { checkManifest, sealManifest, type Manifest, type ManifestStore } from '../manifest.js';
import { deleteDatabase, dumpByName, dumpCounts, dumpSha256, openExisting, restoreRecords, type IdbDump } from './idb-dump.js';
import { getRun, putRun, type WebShellRun } from './run-store.js';
import { LEGACY_LOCAL_STORAGE_KEY, places, sourceFacts, type WebShellOptions, type WebShellPlaces } from './web-shell-migrate.js';

/** A run given by id (looked up in the migrations database) or as the object `migrateWebShell` returned. */
export type RunRef = string | WebShellRun;

async function resolveRun(p: WebShellPlaces, ref: RunRef): Promise<WebShellRun & { manifest: Manifest }> {
  const run = typeof ref === 'string' ? await getRun(p.factory, p.runs, ref) : ref;
  if (run === undefined) throw new StoreError(ErrorCodes.INVALID_MANIFEST, `no migration run ${String(ref)} in ${p.runs}`);
  if (run.manifest === null) throw new StoreError(ErrorCodes.INVALID_MANIFEST, `migration run ${run.run_id} was interrupted before its manifest; its backup is kept in ${p.runs}`, { details: { run: run.run_id } });
  return { ...run, manifest: checkManifest(run.manifest, `run ${run.run_id}`) };
}

function storeOf(manifest: Manifest, role: ManifestStore['store']): ManifestStore {
  return manifest.stores.find((s) => s.store === role)!;
}

async function currentFacts(p: WebShellPlaces): Promise<{ source: { sha256: string | null; counts: Record<string, number> }; target: IdbDump }> {
  const source = { idb: await dumpByName(p.factory, p.source), local_storage: p.storage?.getItem(LEGACY_LOCAL_STORAGE_KEY) ?? null };
  return { source: sourceFacts(source), target: await dumpByName(p.factory, p.target) };
}

/**
 * Compare both databases with a browser run's manifest (by the same rules as `verifyManifest`:
 * after migrate, before after a rollback, source gone after a contract) and check the kept backup.
 *
 * @throws StoreError `INVALID_MANIFEST`, `VERIFY_FAILED` (`details.problems`).
 */
export async function verifyWebShellMigration(ref: RunRef, options: WebShellOptions = {}): Promise<Manifest> {
  const p = places(options);
  const run = await resolveRun(p, ref);
  const { manifest } = run;
  const now = await currentFacts(p);
  const problems: Array<{ store: string; what: string }> = [];
  const check = (entry: ManifestStore, sha: string | null, counts: Record<string, number>) => {
    const rolled = manifest.rollback !== null;
    const removed = !rolled && (manifest.contract?.removed ?? []).includes(entry.path);
    const expectSha = rolled ? entry.before_sha256 : removed ? null : entry.after_sha256;
    const expectCounts = rolled ? entry.counts_before : entry.counts;
    if (sha !== expectSha) problems.push({ store: entry.store, what: 'sha256' });
    else if (!removed && expectSha !== null && JSON.stringify(Object.entries(counts).sort()) !== JSON.stringify(Object.entries(expectCounts).sort())) problems.push({ store: entry.store, what: 'counts' });
  };
  check(storeOf(manifest, 'source'), now.source.sha256, now.source.counts);
  check(storeOf(manifest, 'target'), dumpSha256(now.target), dumpCounts(now.target));
  if (sourceFacts(run.backup.source).sha256 !== storeOf(manifest, 'source').before_sha256) problems.push({ store: 'source', what: 'backup' });
  if (dumpSha256(run.backup.target) !== storeOf(manifest, 'target').before_sha256) problems.push({ store: 'target', what: 'backup' });
  if (problems.length > 0) {
    throw new StoreError(ErrorCodes.VERIFY_FAILED, `verify failed for run ${manifest.run_id}: ${problems.map((x) => `${x.store}: ${x.what}`).join('; ')}`, { details: { run: manifest.run_id, problems } });
  }
  return manifest;
}

async function recreate(p: WebShellPlaces, dump: IdbDump, ours: boolean): Promise<void> {
  await deleteDatabase(p.factory, dump.name);
  if (dump.version === 0) return;
  // Our store gets its shipped steps up to the old version; the legacy one its stores (out-of-line keys, §7.1).
  const db = ours
    ? await openIdb(p.factory, dump.name, IDB_UPGRADES.slice(0, dump.version))
    : await new Promise<IDBDatabase>((resolve, reject) => {
        const req = p.factory.open(dump.name, dump.version);
        req.onupgradeneeded = () => Object.keys(dump.stores).forEach((name) => req.result.createObjectStore(name));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error ?? new Error(`cannot recreate ${dump.name}`));
      });
  try {
    await restoreRecords(db, dump);
  } finally {
    db.close();
  }
}

/**
 * Put both databases (and the legacy localStorage key) back to their exact pre-migration records:
 * afterwards each hashes to its `before_sha256`. The backup is checked first (`BACKUP_INVALID`,
 * nothing touched); what our store held is kept in the run as `replaced`. Running it again changes nothing.
 *
 * @throws StoreError `INVALID_MANIFEST`, `BACKUP_INVALID`, `VERIFY_FAILED` (restore did not take).
 */
export async function rollbackWebShellMigration(ref: RunRef, options: WebShellOptions = {}): Promise<Manifest> {
  const p = places(options);
  const run = await resolveRun(p, ref);
  const { manifest, backup } = run;
  const src = storeOf(manifest, 'source');
  const tgt = storeOf(manifest, 'target');
  if (sourceFacts(backup.source).sha256 !== src.before_sha256 || dumpSha256(backup.target) !== tgt.before_sha256) {
    throw new StoreError(ErrorCodes.BACKUP_INVALID, `the backup of run ${manifest.run_id} does not match its manifest; nothing was touched`, { details: { run: manifest.run_id } });
  }
  const now = await currentFacts(p);
  const replaced = [...(run.replaced ?? [])];
  if (dumpSha256(now.target) !== tgt.before_sha256) {
    replaced.push(now.target);
    await putRun(p.factory, p.runs, { ...run, replaced });
    await recreate(p, backup.target, true);
  }
  if (now.source.sha256 !== src.before_sha256) {
    const live = await openExisting(p.factory, p.source);
    const sameShape = live !== undefined && live.version === backup.source.idb.version;
    if (sameShape) {
      await restoreRecords(live, backup.source.idb).finally(() => live.close());
    } else {
      live?.close();
      await recreate(p, backup.source.idb, false);
    }
    if (backup.source.local_storage === null) p.storage?.removeItem(LEGACY_LOCAL_STORAGE_KEY);
    else p.storage?.setItem(LEGACY_LOCAL_STORAGE_KEY, backup.source.local_storage);
  }
  const after = await currentFacts(p);
  if (after.source.sha256 !== src.before_sha256 || dumpSha256(after.target) !== tgt.before_sha256) {
    throw new StoreError(ErrorCodes.VERIFY_FAILED, `rollback of run ${manifest.run_id} did not restore the pre-migration records`, { details: { run: manifest.run_id } });
  }
  const { digest: _d, ...body } = manifest;
  const sealed = manifest.rollback === null ? sealManifest({ ...body, rollback: { at: new Date().toISOString() } }) : manifest;
  await putRun(p.factory, p.runs, { ...run, manifest: sealed, replaced });
  return sealed;
}

/**
 * Drop the pre-migration shape: delete the legacy database and the legacy localStorage key.
 * Refused unless the run verifies now (`VERIFY_FAILED`), and after a rollback. The backup stays.
 */
export async function contractWebShellMigration(ref: RunRef, options: WebShellOptions = {}): Promise<Manifest> {
  const p = places(options);
  const run = await resolveRun(p, ref);
  if (run.manifest.rollback !== null) throw new StoreError(ErrorCodes.VERIFY_FAILED, `run ${run.run_id} was rolled back; there is nothing to contract`);
  if (run.manifest.contract !== null) return run.manifest;
  await verifyWebShellMigration(run, options);
  const src = storeOf(run.manifest, 'source');
  const { digest: _d, ...body } = run.manifest;
  const removed = run.manifest.status === 'migrated' ? [src.path] : [];
  const sealed = sealManifest({ ...body, contract: { at: new Date().toISOString(), removed } });
  // On record first, so a crash between the two leaves a contract verify understands.
  await putRun(p.factory, p.runs, { ...run, manifest: sealed });
  if (removed.length > 0) {
    await deleteDatabase(p.factory, p.source);
    p.storage?.removeItem(LEGACY_LOCAL_STORAGE_KEY);
  }
  return sealed;
}
