import type { Manifest } from '../manifest.js';
import type { IdbDump } from './idb-dump.js';

/** Database the browser migrations keep their runs (manifest + backup) in. Default name. */
export const MIGRATIONS_DB = 'khala-sync.migrations';
const RUNS = 'runs';

/** The backup of a browser migration: the exact records of both databases before the run. */
export interface WebShellBackup {
  /** Shape version of the backup. */
  format: 'khala-sync.indexeddb-backup.v1';
  /** The migration run it belongs to. */
  run_id: string;
  /** The legacy database, and the legacy localStorage value (`null` when absent). */
  source: { idb: IdbDump; local_storage: string | null };
  /** Our IndexedDB store as it was (version 0: it did not exist). */
  target: IdbDump;
}

/** One browser migration run, as kept in {@link MIGRATIONS_DB} and handed to the app. */
export interface WebShellRun {
  /** The run's id (also its key in the migrations database). */
  run_id: string;
  /** `null` only while the run is between its backup and its switch (a crash there leaves it so). */
  manifest: Manifest | null;
  /** Everything the run replaced, as it was before. */
  backup: WebShellBackup;
  /** What a rollback replaced (our store's records at that moment): kept, never dropped. */
  replaced?: IdbDump[];
}

function openRuns(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(RUNS, { keyPath: 'run_id' });
    req.onsuccess = () => {
      // Let another tab's upgrade or delete through instead of blocking it.
      req.result.onversionchange = () => req.result.close();
      resolve(req.result);
    };
    req.onerror = (event) => {
      event.preventDefault();
      reject(req.error ?? new Error(`cannot open ${name}`));
    };
  });
}

async function withRuns<T>(factory: IDBFactory, name: string, mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest | undefined): Promise<T> {
  const db = await openRuns(factory, name);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(RUNS, mode, { durability: 'strict' });
      const req = body(tx.objectStore(RUNS));
      tx.oncomplete = () => resolve(req?.result as T);
      tx.onabort = () => reject(tx.error ?? new Error('migrations database transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Store (or replace) a run; resolves once the transaction committed. */
export function putRun(factory: IDBFactory, name: string, run: WebShellRun): Promise<void> {
  return withRuns(factory, name, 'readwrite', (store) => store.put(run));
}

/** Read a run by id. */
export function getRun(factory: IDBFactory, name: string, runId: string): Promise<WebShellRun | undefined> {
  return withRuns(factory, name, 'readonly', (store) => store.get(runId));
}

/** Every run id kept, oldest first. */
export function listRuns(factory: IDBFactory, name: string): Promise<string[]> {
  return withRuns<IDBValidKey[]>(factory, name, 'readonly', (store) => store.getAllKeys()).then((keys) => keys.map(String));
}
