import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { createIndexedDbStore } from '../../src/indexeddb.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { DOCUMENTS, WATERMARKS } from '../../src/watermarks/indexeddb-schema.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { publishRange, record, RUNS, server } from './harness.js';

// Document rows damaged on disk (wrong types, a body that is not JSON), read when the client
// starts: each is a typed store_corrupt naming its topic, the rest loads, the client goes live.

let srv: ReferenceServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await srv?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stored = (docKey: string) => ({ topic: RUNS, docKey, docVersion: 3, payload: { docKey }, payloadHash: null, watermark: 3, hydrationPending: false });

async function seed(store: SyncStore): Promise<void> {
  await store.commit({ topic: RUNS, watermark: 3, documents: ['good', 'bad-version', 'bad-watermark', 'bad-body'].map(stored) });
  await store.close();
}

/** Write `records` into `objectStore` of the khala-sync database behind the store's back. */
function tamper(factory: IDBFactory, objectStore: string, records: object[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = factory.open('khala-sync');
    req.onsuccess = () => {
      const tx = req.result.transaction(objectStore, 'readwrite');
      for (const rec of records) tx.objectStore(objectStore).put(rec);
      tx.oncomplete = () => (req.result.close(), resolve());
      tx.onerror = () => reject(tx.error);
    };
  });
}

async function startOn(store: SyncStore): Promise<ReturnType<typeof record>> {
  srv = await server();
  publishRange(srv, RUNS, 4, 4);
  const r = record(srv, { topics: [RUNS], store });
  await r.client.connect();
  await r.client.whenLive();
  return r;
}

describe('damaged document rows at start', () => {
  it('SQLite: a text doc_version, a negative watermark, a body that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'khala-rows-'));
    dirs.push(dir);
    const path = join(dir, 's.sqlite');
    await seed(createSqliteStore({ path }));
    const db = new Database(path);
    db.prepare("UPDATE documents SET doc_version = 'x' WHERE doc_key = 'bad-version'").run();
    db.prepare("UPDATE documents SET watermark = -3 WHERE doc_key = 'bad-watermark'").run();
    db.prepare("UPDATE documents SET payload_json = '{\"cut' WHERE doc_key = 'bad-body'").run();
    db.close();
    const r = await startOn(createSqliteStore({ path }));
    expect(r.errors.map((e) => [e.code, e.topic, e.details['docKey']])).toEqual([
      ['store_corrupt', RUNS, 'bad-version'],
      ['store_corrupt', RUNS, 'bad-watermark'],
      ['hydration_failed', RUNS, 'bad-body'], // A14: kept as pending, and this client has no hydrator
    ]);
    expect(r.client.getDocument(RUNS, 'good')?.payload).toEqual({ docKey: 'good' });
    expect(r.client.getDocument(RUNS, 'bad-body')).toMatchObject({ hydrationPending: true, payload: null });
    expect(r.client.getWatermark(RUNS)).toBe(4);
    await r.client.close();
  });

  it('IndexedDB: a string docVersion, a null watermark', async () => {
    const factory = new IDBFactory();
    await seed(createIndexedDbStore({ indexedDB: factory }));
    await tamper(factory, DOCUMENTS, [
      { ...stored('bad-version'), docVersion: '3' },
      { ...stored('bad-watermark'), watermark: null },
    ]);
    const r = await startOn(createIndexedDbStore({ indexedDB: factory }));
    expect(r.errors.map((e) => [e.code, e.details['docKey']]).sort()).toEqual([
      ['store_corrupt', 'bad-version'],
      ['store_corrupt', 'bad-watermark'],
    ]);
    expect(r.client.getDocument(RUNS, 'good')?.payload).toEqual({ docKey: 'good' });
    expect(r.client.getWatermark(RUNS)).toBe(4);
    await r.client.close();
  });

  it('IndexedDB: a watermark record without its watermark is store_corrupt, not a silent restart', async () => {
    const factory = new IDBFactory();
    await seed(createIndexedDbStore({ indexedDB: factory }));
    await tamper(factory, WATERMARKS, [{ topic: RUNS, updatedAtMs: 0 }]);
    const r = await startOn(createIndexedDbStore({ indexedDB: factory }));
    expect(r.errors.map((e) => [e.code, e.topic])).toEqual([['store_corrupt', RUNS]]);
    expect(r.client.getWatermark(RUNS)).toBe(4);
    await r.client.close();
  });
});
