import { payloadHashText } from '../../hash/index.js';
import type { JsonValue } from '../../util/json.js';

/** Every record of a database, per object store, in key order: what a browser migration hashes and backs up. */
export interface IdbDump {
  /** The database name. */
  name: string;
  /** 0 when the database does not exist. */
  version: number;
  /** Object store → `[key, value]` pairs in key order. Keys and values are structured-clone data that is plain JSON here. */
  stores: Record<string, Array<[JsonValue, JsonValue]>>;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = (event) => {
      event.preventDefault();
      reject(req.error ?? new Error('indexeddb request failed'));
    };
  });
}

/**
 * Open `name` only if it exists: a plain `open` would create it (version 1, no stores). The
 * creating `versionchange` transaction is aborted, which leaves no database behind.
 */
export function openExisting(factory: IDBFactory, name: string): Promise<IDBDatabase | undefined> {
  return new Promise((resolve, reject) => {
    let missing = false;
    const req = factory.open(name);
    req.onupgradeneeded = (event) => {
      if (event.oldVersion === 0) {
        missing = true;
        req.transaction?.abort();
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = (event) => {
      event.preventDefault();
      if (missing) resolve(undefined);
      else reject(req.error ?? new Error(`cannot open ${name}`));
    };
    req.onblocked = () => undefined;
  });
}

/** Read every record of every object store of an open database in one read transaction. */
export async function dumpDatabase(db: IDBDatabase): Promise<IdbDump> {
  const names = Array.from(db.objectStoreNames).sort();
  const stores: IdbDump['stores'] = {};
  if (names.length > 0) {
    const tx = db.transaction(names, 'readonly');
    await Promise.all(
      names.map(async (name) => {
        const store = tx.objectStore(name);
        const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
        stores[name] = keys.map((k, i) => [k as JsonValue, values[i] as JsonValue]);
      }),
    );
  }
  return { name: db.name, version: db.version, stores };
}

/** Dump `name` (an empty dump with version 0 when it does not exist), without creating it. */
export async function dumpByName(factory: IDBFactory, name: string): Promise<IdbDump> {
  const db = await openExisting(factory, name);
  if (db === undefined) return { name, version: 0, stores: {} };
  try {
    return await dumpDatabase(db);
  } finally {
    db.close();
  }
}

/** Hex SHA-256 of the dump's canonical JSON, or `null` for a database that does not exist. */
export function dumpSha256(dump: IdbDump): string | null {
  return dump.version === 0 ? null : payloadHashText(dump as unknown as JsonValue).slice('sha256:'.length);
}

/** Records per object store. */
export function dumpCounts(dump: IdbDump): Record<string, number> {
  return Object.fromEntries(Object.entries(dump.stores).map(([name, rows]) => [name, rows.length]));
}

/** Delete a database, waiting for other connections to close (ours close on `versionchange`). */
export function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = factory.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`cannot delete ${name}`));
    req.onblocked = () => undefined;
  });
}

/**
 * Replace every record of the dumped object stores with the dump's, in one readwrite transaction
 * (so a crash leaves either the old records or all of the dump's).
 */
export async function restoreRecords(db: IDBDatabase, dump: IdbDump): Promise<void> {
  const names = Object.keys(dump.stores).filter((n) => db.objectStoreNames.contains(n));
  if (names.length === 0) return;
  const tx = db.transaction(names, 'readwrite', { durability: 'strict' });
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('restore aborted'));
  });
  for (const name of names) {
    const store = tx.objectStore(name);
    store.clear();
    // Stores with a key path take the key from the value; the others need it given.
    for (const [key, value] of dump.stores[name]!) {
      if (store.keyPath === null) store.put(value, key as IDBValidKey);
      else store.put(value);
    }
  }
  await done;
}
