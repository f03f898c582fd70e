import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, StoreError } from '../../src/errors/index.js';
import { createIndexedDbStore } from '../../src/indexeddb.js';
import { DOCUMENTS, IDB_UPGRADES, openIdb, STAGED, WATERMARKS, type IdbUpgrade } from '../../src/watermarks/indexeddb-schema.js';
import { runStoreContract } from './store-contract.js';
import { doc } from './store-contract-fixtures.js';

runStoreContract('indexeddb', async () => {
  // A fresh factory per test is a fresh, empty "browser profile"; nothing leaks between tests.
  const factory = new IDBFactory();
  const opened = [createIndexedDbStore({ indexedDB: factory, dbName: 'contract' })];
  return {
    store: opened[0]!,
    reopen: async () => {
      const again = createIndexedDbStore({ indexedDB: factory, dbName: 'contract' });
      opened.push(again);
      return again;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
    },
  };
});

function rawOpen(factory: IDBFactory, name: string, version?: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = version === undefined ? factory.open(name) : factory.open(name, version);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

describe('indexeddb store', () => {
  it('reports its kind and defaults dbName to khala-sync', async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ indexedDB: factory, durability: 'strict' });
    expect(store.kind).toBe('indexeddb');
    await store.commit({ topic: 't', watermark: 1, documents: [] });
    await store.close();
    const names = (await factory.databases()).map((d) => d.name);
    expect(names).toStrictEqual(['khala-sync']);
  });

  it('opens lazily: creating a store touches nothing', async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ indexedDB: factory });
    expect(await factory.databases()).toStrictEqual([]);
    await store.close();
  });

  it('rejects with STORE_FAILED when no IndexedDB exists', async () => {
    expect('indexedDB' in globalThis).toBe(false); // Node has none: the default factory is missing
    const store = createIndexedDbStore();
    await expect(store.load()).rejects.toMatchObject({ code: ErrorCodes.STORE_FAILED });
  });

  it('keeps databases with different names apart', async () => {
    const factory = new IDBFactory();
    const a = createIndexedDbStore({ indexedDB: factory, dbName: 'a' });
    const b = createIndexedDbStore({ indexedDB: factory, dbName: 'b' });
    await a.commit({ topic: 't', watermark: 3, documents: [doc('t', 'k', 1, 1)] });
    expect(await b.load()).toStrictEqual({ watermarks: {}, documents: [] });
    await a.close();
    await b.close();
  });

  it('fails with STORE_VERSION_TOO_NEW on a database from a newer schema', async () => {
    const factory = new IDBFactory();
    (await rawOpen(factory, 'khala-sync', IDB_UPGRADES.length + 3)).close();
    const store = createIndexedDbStore({ indexedDB: factory });
    const err = await store.load().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(ErrorCodes.STORE_VERSION_TOO_NEW);
    await store.close();
  });

  it('runs an appended upgrade step, keeping data; the older code then refuses the database, and the old store is closed', async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ indexedDB: factory });
    await store.commit({ topic: 't', watermark: 2, documents: [doc('t', 'k', 2, { keep: 'é😀' })] });

    let ranFrom: number | undefined;
    const v2: IdbUpgrade = (db, tx) => {
      ranFrom = db.version;
      db.createObjectStore('extra');
      tx.objectStore(WATERMARKS).put({ topic: 'added-by-v2', watermark: 1, updatedAtMs: 0 });
    };
    // The old connection closes itself on versionchange, so the upgrade is not blocked.
    const upgraded = await openIdb(factory, 'khala-sync', [...IDB_UPGRADES, v2]);
    expect(ranFrom).toBe(IDB_UPGRADES.length + 1);
    expect(upgraded.version).toBe(IDB_UPGRADES.length + 1);
    expect(Array.from(upgraded.objectStoreNames).sort()).toStrictEqual([DOCUMENTS, 'extra', STAGED, WATERMARKS]);
    upgraded.close();

    const upgradedStore = createIndexedDbStore({ indexedDB: factory });
    await expect(upgradedStore.load()).rejects.toMatchObject({ code: ErrorCodes.STORE_VERSION_TOO_NEW });
    // The old store's connection was closed by the upgrade: it is closed for good, never reopened.
    await expect(store.load()).rejects.toMatchObject({ code: ErrorCodes.STORE_FAILED, retryable: false, details: { reason: 'closed' } });
    await store.close();
    await upgradedStore.close();

    const check = await openIdb(factory, 'khala-sync', [...IDB_UPGRADES, v2]);
    const docs = await new Promise<unknown>((resolve) => {
      const req = check.transaction(DOCUMENTS).objectStore(DOCUMENTS).getAll();
      req.onsuccess = () => resolve(req.result);
    });
    expect(docs).toStrictEqual([doc('t', 'k', 2, { keep: 'é😀' })]);
    check.close();
  });

  it('creates the schema from version 0 with every step in order', async () => {
    const factory = new IDBFactory();
    const order: number[] = [];
    const steps: IdbUpgrade[] = [0, 1, 2].map((n) => (db) => {
      order.push(n);
      db.createObjectStore(`s${n}`);
    });
    const db = await openIdb(factory, 'steps', steps);
    expect(order).toStrictEqual([0, 1, 2]);
    expect(db.version).toBe(3);
    db.close();
  });

  it('leaves the database at its old version when an upgrade step throws', async () => {
    const factory = new IDBFactory();
    (await openIdb(factory, 'x')).close();
    const boom: IdbUpgrade = (db) => {
      db.createObjectStore('half');
      throw new Error('upgrade failed');
    };
    await expect(openIdb(factory, 'x', [...IDB_UPGRADES, boom])).rejects.toThrow('upgrade failed');
    const db = await rawOpen(factory, 'x');
    expect(db.version).toBe(IDB_UPGRADES.length);
    expect(Array.from(db.objectStoreNames).sort()).toStrictEqual([DOCUMENTS, STAGED, WATERMARKS]);
    db.close();
  });

  it('upgrades a version 1 database in place to the staging schema, keeping its data', async () => {
    const factory = new IDBFactory();
    const v1 = await openIdb(factory, 'khala-sync', IDB_UPGRADES.slice(0, 1));
    await new Promise<void>((resolve, reject) => {
      const tx = v1.transaction([WATERMARKS, DOCUMENTS], 'readwrite');
      tx.objectStore(WATERMARKS).put({ topic: 't', watermark: 5, updatedAtMs: 0 });
      tx.objectStore(DOCUMENTS).put(doc('t', 'old', 5, { keep: 'é😀' }));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    v1.close();
    const store = createIndexedDbStore({ indexedDB: factory });
    expect(await store.load()).toStrictEqual({ watermarks: { t: 5 }, documents: [doc('t', 'old', 5, { keep: 'é😀' })] });
    await store.discardSnapshot('t');
    await store.stageSnapshot('t', [doc('t', 'new', 2, 'n')]);
    expect(await store.commitSnapshot('t', 2)).toStrictEqual([doc('t', 'new', 2, 'n')]);
    await store.close();
    const db = await rawOpen(factory, 'khala-sync');
    expect(db.version).toBe(2);
    expect(Array.from(db.objectStoreNames).sort()).toStrictEqual([DOCUMENTS, STAGED, WATERMARKS]);
    db.close();
  });
});
