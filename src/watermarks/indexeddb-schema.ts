import { ErrorCodes, StoreError } from '../errors/index.js';

/** Object store holding `{ topic, watermark, updatedAtMs }`, keyed by topic. */
export const WATERMARKS = 'watermarks';
/** Object store holding documents, keyed by `[topic, docKey]`. */
export const DOCUMENTS = 'documents';
/** Index of {@link DOCUMENTS} (and of {@link STAGED}) on `topic`. */
export const BY_TOPIC = 'by_topic';
/** Object store of snapshot pages not yet swapped in; same shape and key as {@link DOCUMENTS} (version 2). */
export const STAGED = 'staged_documents';

/**
 * One upgrade step. `IDB_UPGRADES[i]` takes a database from version `i` to `i + 1`; it runs inside
 * the `versionchange` transaction, so it may only create/alter stores and touch records through
 * `tx` (never open another transaction or await anything else, which would end it).
 */
export type IdbUpgrade = (db: IDBDatabase, tx: IDBTransaction) => void;

/**
 * The schema as an append-only list (database version = list length). Never edit a shipped step;
 * add one at the end. IndexedDB version 0 means "does not exist yet", so step 0 creates it.
 */
export const IDB_UPGRADES: readonly IdbUpgrade[] = [
  // 0 -> 1: initial schema.
  (db) => {
    db.createObjectStore(WATERMARKS, { keyPath: 'topic' });
    const docs = db.createObjectStore(DOCUMENTS, { keyPath: ['topic', 'docKey'] });
    docs.createIndex(BY_TOPIC, 'topic', { unique: false });
  },
  // 1 -> 2: snapshot staging (pages land here; one transaction swaps them into DOCUMENTS). Only
  // adds an empty store: existing documents and watermarks are kept as they are.
  (db) => {
    const staged = db.createObjectStore(STAGED, { keyPath: ['topic', 'docKey'] });
    staged.createIndex(BY_TOPIC, 'topic', { unique: false });
  },
];

function tooNew(dbName: string, known: number, cause: unknown): StoreError {
  return new StoreError(
    ErrorCodes.STORE_VERSION_TOO_NEW,
    `indexeddb store "${dbName}" was written by a newer khala-sync (this one knows version ${known}); upgrade khala-sync or use another dbName`,
    { details: { kind: 'indexeddb', dbName, known }, cause },
  );
}

/**
 * Open `name`, running the upgrade steps it has not seen yet.
 *
 * @param upgrades defaults to {@link IDB_UPGRADES}; tests pass a longer list to exercise an upgrade.
 * @throws StoreError `STORE_VERSION_TOO_NEW` when the database's version is above `upgrades.length`.
 */
export function openIdb(factory: IDBFactory, name: string, upgrades: readonly IdbUpgrade[] = IDB_UPGRADES): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, upgrades.length);
    req.onupgradeneeded = (event) => {
      const tx = req.transaction;
      if (tx === null) return;
      try {
        for (let v = event.oldVersion; v < upgrades.length; v++) upgrades[v]?.(req.result, tx);
      } catch (err) {
        // Aborting the versionchange transaction leaves the database at its old version.
        tx.abort();
        reject(err);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = (event) => {
      // Handled here; keep the error from also surfacing as an uncaught event.
      event.preventDefault();
      const err = req.error;
      reject(err?.name === 'VersionError' ? tooNew(name, upgrades.length, err) : err);
    };
    // Another connection (another tab) still holds an older version open; the open waits until
    // it closes, which our own connections do on `versionchange`.
    req.onblocked = () => undefined;
  });
}

/** What {@link transact} runs: issue requests on `tx`, return a getter for the result. */
export type TransactBody<T> = (tx: IDBTransaction, guard: (fn: () => void) => () => void) => () => T;

/**
 * Run `body` in one transaction over every object store and settle when the transaction does: resolve
 * with `body`'s result getter on `complete` (the data is committed), reject on abort. Request
 * callbacks must be wrapped with the `guard` given to `body`, so that a throw inside one aborts
 * the whole transaction instead of committing what came before it.
 */
export function transact<T>(
  db: IDBDatabase,
  mode: IDBTransactionMode,
  durability: IDBTransactionDurability,
  body: TransactBody<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction([WATERMARKS, DOCUMENTS, STAGED], mode, { durability });
    let failure: unknown;
    const guard = (fn: () => void) => () => {
      try {
        fn();
      } catch (err) {
        failure ??= err;
        tx.abort();
      }
    };
    let result: () => T = () => undefined as T;
    tx.oncomplete = () => {
      try {
        resolve(result());
      } catch (err) {
        reject(err);
      }
    };
    tx.onabort = () => reject(failure ?? tx.error ?? new Error('transaction aborted'));
    guard(() => {
      result = body(tx, guard);
    })();
  });
}
