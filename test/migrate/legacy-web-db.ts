// Builds the web shell's legacy database as KHALA_PROTOCOL §7.1 describes it (hand-made, like the
// JSON fixtures): `openagents.web.sync` version 2, stores sync_state / view_state / meta with
// out-of-line keys, JSON-string values under `primary` (meta: `view_schema_version`).

/** A Map-backed stand-in for `window.localStorage`. */
export class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** Create the legacy database with `syncState` (a JSON string; `null`: nothing) under `sync_state/primary`. */
export function createLegacyWebDb(factory: IDBFactory, syncState: string | null, version = 2): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = factory.open('openagents.web.sync', version);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const name of ['sync_state', 'view_state', 'meta']) db.createObjectStore(name);
      const tx = req.transaction!;
      if (syncState !== null) tx.objectStore('sync_state').put(syncState, 'primary');
      tx.objectStore('view_state').put(JSON.stringify({ schema_version: 1, active_worker_id: 'desktopw:desktop:shared', last_seq: 41, updated_at_unix_ms: 1767225600000 }), 'primary');
      tx.objectStore('meta').put('1', 'view_schema_version');
    };
    req.onsuccess = () => {
      req.result.close();
      resolve();
    };
    req.onerror = () => reject(req.error);
  });
}
