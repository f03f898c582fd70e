import { ErrorCodes, StoreError } from '../errors/index.js';
import type { SyncDocument } from '../model/types.js';
import type { StoreContents, SyncStore } from './store.js';
import { checkDocument, checkWrite, collapseByKey, hydratedRecord, isSequence, wins } from './store-guards.js';
import { backendClosedError, backendError } from './backend-error.js';
import { BY_TOPIC, DOCUMENTS, openIdb, STAGED, transact, WATERMARKS, type TransactBody } from './indexeddb-schema.js';
import { setOwn } from '../util/records.js';

const KIND = 'indexeddb';

/** Options of {@link createIndexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** Database name; one per app (and per user, if several sign in on one browser). Default `'khala-sync'`. */
  dbName?: string;
  /** The IndexedDB factory. Default `globalThis.indexedDB`, looked up on first use (so SSR can import this). */
  indexedDB?: IDBFactory;
  /**
   * Durability hint for write transactions. Default `'default'`: the browser decides, and some
   * (Firefox, for one) report completion once the OS has the data, before it is flushed to disk.
   * `'strict'` asks for the flush first (survives power loss, slower); `'relaxed'` never waits for
   * it. Either way a commit is atomic: it lands whole or not at all.
   */
  durability?: IDBTransactionDurability;
}

/** The `guard` a {@link TransactBody} is given. */
type Guard = (fn: () => void) => () => void;

interface WatermarkRecord {
  topic: string;
  watermark: number;
  updatedAtMs: number;
}

// Store exactly the contract's fields, never whatever else rode along on the caller's object.
function toRecord(doc: SyncDocument): SyncDocument {
  return {
    topic: doc.topic,
    docKey: doc.docKey,
    docVersion: doc.docVersion,
    payload: doc.payload ?? null,
    payloadHash: doc.payloadHash ?? null,
    watermark: doc.watermark,
    hydrationPending: doc.hydrationPending === true,
  };
}

/**
 * A durable {@link SyncStore} on IndexedDB for browsers (kind `indexeddb`). Opens lazily on first
 * use; every commit, `replaceTopic`, snapshot step and read-modify-write runs in one readwrite
 * transaction over the object stores (`watermarks`, `documents`, and `staged_documents` where
 * snapshot pages wait until `commitSnapshot` swaps them in), and resolves only once that transaction has
 * completed. Values are stored by structured clone, so callers cannot mutate stored state. When
 * another tab upgrades or deletes the database, or the browser closes the connection, the store
 * closes for good: every later call rejects with a non-retryable `STORE_FAILED`
 * (`details.reason: 'closed'`), and the client stops on it.
 *
 * @param options see {@link IndexedDbStoreOptions}: `dbName` defaults to `'khala-sync'`,
 *   `indexedDB` to `globalThis.indexedDB`, `durability` to `'default'`.
 * @returns the store; a database written by a newer khala-sync makes its calls reject with
 *   `StoreError` `STORE_VERSION_TOO_NEW`.
 */
export function createIndexedDbStore(options: IndexedDbStoreOptions = {}): SyncStore {
  const dbName = options.dbName ?? 'khala-sync';
  const durability = options.durability ?? 'default';
  let opening: Promise<IDBDatabase> | undefined;
  let closed = false;
  /**
   * How the connection was closed from under us, if it was. Never reopened: after another tab's
   * delete a reopen would create an empty database and the next commit would store a cursor
   * without the documents before it; after an upgrade this code cannot read the database anyway.
   */
  let lost: string | undefined;

  function database(): Promise<IDBDatabase> {
    if (opening !== undefined) return opening;
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) {
      return Promise.reject(new StoreError(ErrorCodes.STORE_FAILED, 'indexeddb store: no IndexedDB in this environment', { details: { kind: KIND } }));
    }
    const attempt = openIdb(factory, dbName).then((db) => {
      const forget = () => {
        if (opening === attempt) opening = undefined;
      };
      // Let another tab's upgrade or delete proceed; this store is closed for good from then on.
      db.onversionchange = (event) => {
        lost ??= event.newVersion === null ? ': another connection deleted the database' : `: another connection upgraded the database to version ${event.newVersion}`;
        db.close();
        forget();
      };
      db.onclose = () => {
        lost ??= ': the browser closed the connection';
        forget();
      };
      return db;
    });
    // A failed open is not cached: the next call tries again.
    attempt.catch(() => {
      if (opening === attempt) opening = undefined;
    });
    opening = attempt;
    return attempt;
  }

  async function run<T>(
    operation: string,
    topic: string | undefined,
    mode: IDBTransactionMode,
    body: TransactBody<T>,
    check?: () => void,
  ): Promise<T> {
    if (closed || lost !== undefined) throw backendClosedError(KIND, topic, lost);
    try {
      check?.();
      const db = await database();
      if (closed || lost !== undefined) throw backendClosedError(KIND, topic, lost);
      return await transact(db, mode, mode === 'readwrite' ? durability : 'default', body);
    } catch (err) {
      throw lost === undefined ? backendError(KIND, operation, err, topic) : backendClosedError(KIND, topic, lost);
    }
  }

  // The last-writer rule as one batch of requests. Reads are queued before the writes that depend
  // on them, so duplicates of one key in the batch are resolved up front, as sequential
  // application would.
  function putNewer(target: IDBObjectStore, docs: readonly SyncDocument[], guard: Guard): void {
    for (const doc of collapseByKey(docs)) {
      const req = target.get([doc.topic, doc.docKey]);
      req.onsuccess = guard(() => {
        if (wins(doc.docVersion, (req.result as SyncDocument | undefined)?.docVersion)) target.put(toRecord(doc));
      });
    }
  }

  function deleteTopic(target: IDBObjectStore, topic: string, guard: Guard): void {
    const keys = target.index(BY_TOPIC).getAllKeys(topic);
    keys.onsuccess = guard(() => {
      for (const key of keys.result) target.delete(key);
    });
  }

  function putDocs(docsStore: IDBObjectStore, docs: readonly SyncDocument[]): void {
    for (const doc of docs) docsStore.put(toRecord(doc));
  }

  return {
    kind: KIND,

    load: (topics) =>
      run<StoreContents>('load', undefined, 'readonly', (tx) => {
        const marks = tx.objectStore(WATERMARKS);
        const docs = tx.objectStore(DOCUMENTS);
        const markReqs: IDBRequest[] = [];
        const docReqs: IDBRequest[] = [];
        if (topics === undefined) {
          markReqs.push(marks.getAll());
          docReqs.push(docs.getAll());
        } else {
          for (const topic of new Set(topics)) {
            markReqs.push(marks.getAll(topic));
            docReqs.push(docs.index(BY_TOPIC).getAll(topic));
          }
        }
        return () => {
          const out: StoreContents = { watermarks: {}, documents: [] };
          for (const req of markReqs) for (const rec of req.result as WatermarkRecord[]) setOwn(out.watermarks, rec.topic, rec.watermark);
          for (const req of docReqs) out.documents.push(...(req.result as SyncDocument[]));
          return out;
        };
      }),

    commit: (commit) =>
      run<void>(
        'commit',
        commit.topic,
        'readwrite',
        (tx, guard) => {
          const marks = tx.objectStore(WATERMARKS);
          putNewer(tx.objectStore(DOCUMENTS), commit.documents, guard);
          const markReq = marks.get(commit.topic);
          markReq.onsuccess = guard(() => {
            const stored: unknown = (markReq.result as WatermarkRecord | undefined)?.watermark;
            // A tampered record (not a sequence) never wins the max (store_corrupt in docs/errors.md).
            const held = isSequence(stored) ? stored : commit.watermark;
            marks.put({ topic: commit.topic, watermark: Math.max(held, commit.watermark), updatedAtMs: Date.now() });
          });
          return () => undefined;
        },
        () => checkWrite(KIND, commit.topic, commit.watermark, commit.documents),
      ),

    replaceTopic: (topic, documents, watermark) =>
      run<void>(
        'replaceTopic',
        topic,
        'readwrite',
        (tx, guard) => {
          const docs = tx.objectStore(DOCUMENTS);
          const keysReq = docs.index(BY_TOPIC).getAllKeys(topic);
          keysReq.onsuccess = guard(() => {
            for (const key of keysReq.result) docs.delete(key);
            putDocs(docs, collapseByKey(documents));
            tx.objectStore(WATERMARKS).put({ topic, watermark, updatedAtMs: Date.now() });
          });
          return () => undefined;
        },
        () => checkWrite(KIND, topic, watermark, documents),
      ),

    discardSnapshot: (topic) =>
      run<void>('discardSnapshot', topic, 'readwrite', (tx, guard) => {
        deleteTopic(tx.objectStore(STAGED), topic, guard);
        return () => undefined;
      }),

    stageSnapshot: (topic, documents) =>
      run<void>(
        'stageSnapshot',
        topic,
        'readwrite',
        (tx, guard) => {
          // Same last-writer rule as a commit, against what earlier pages staged.
          putNewer(tx.objectStore(STAGED), documents, guard);
          return () => undefined;
        },
        () => checkWrite(KIND, topic, 0, documents),
      ),

    commitSnapshot: (topic, watermark) =>
      run<SyncDocument[]>(
        'commitSnapshot',
        topic,
        'readwrite',
        (tx, guard) => {
          const docs = tx.objectStore(DOCUMENTS);
          const staged = tx.objectStore(STAGED);
          const oldKeys = docs.index(BY_TOPIC).getAllKeys(topic);
          const fresh = staged.index(BY_TOPIC).getAll(topic);
          // Requests complete in order: the old keys are known before the staged rows arrive.
          fresh.onsuccess = guard(() => {
            for (const key of oldKeys.result) docs.delete(key);
            for (const doc of fresh.result as SyncDocument[]) docs.put(doc);
            deleteTopic(staged, topic, guard);
            tx.objectStore(WATERMARKS).put({ topic, watermark, updatedAtMs: Date.now() });
          });
          return () => fresh.result as SyncDocument[];
        },
        () => checkWrite(KIND, topic, watermark, []),
      ),

    putHydrated: (doc) =>
      run<void>(
        'putHydrated',
        doc.topic,
        'readwrite',
        (tx, guard) => {
          const docs = tx.objectStore(DOCUMENTS);
          const req = docs.get([doc.topic, doc.docKey]);
          req.onsuccess = guard(() => {
            const stored = req.result as SyncDocument | undefined;
            // Absent: a snapshot dropped it while its body was in flight; do not revive it.
            if (stored !== undefined && wins(doc.docVersion, stored.docVersion)) docs.put(toRecord(hydratedRecord(stored, doc)));
          });
          return () => undefined;
        },
        () => checkDocument(KIND, doc.topic, doc),
      ),

    close: async () => {
      if (closed) return;
      closed = true;
      const pending = opening;
      opening = undefined;
      // close() lets transactions already started finish, so an awaited commit is never cut short.
      if (pending !== undefined) (await pending.catch(() => undefined))?.close();
    },
  };
}
