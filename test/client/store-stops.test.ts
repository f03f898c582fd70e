import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { forceCloseDatabase, IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { httpSnapshotSource } from '../../src/bootstrap/http-snapshot-source.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createIndexedDbStore } from '../../src/indexeddb.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { IDB_UPGRADES, openIdb, type IdbUpgrade } from '../../src/watermarks/indexeddb-schema.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { backendError } from '../../src/watermarks/backend-error.js';
import { publishRange, record, RUNS, server, until, type Recorded } from './harness.js';

// A store closed from under a running client (the app closed it; another tab's IndexedDB upgrade
// or delete; the browser closed the connection), or out of space, fails every redelivery: the
// client must stop with a typed, non-retryable error instead of reconnecting forever, and lose
// nothing. A transient failure (SQLITE_BUSY, one aborted transaction) still reconnects.

/** What each test leaves behind (servers, temporary directories), undone after it. */
const leftovers: Array<() => unknown> = [];
afterEach(async () => {
  for (const undo of leftovers.splice(0)) await undo();
});

async function startServer(options?: Parameters<typeof server>[0]): Promise<ReferenceServer> {
  const srv = await server(options);
  leftovers.push(() => srv.close());
  return srv;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'khala-stops-'));
  leftovers.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Connect, let the first 5 updates commit, then break the store and publish 5 more. */
async function breakUnderClient(store: SyncStore, breakIt: () => Promise<void>, reason = 'closed'): Promise<Recorded> {
  const srv = await startServer();
  publishRange(srv, RUNS, 5);
  const r = record(srv, { store, topics: [RUNS] });
  const after: Array<[string, string | undefined]> = [];
  r.client.on('status', (status, reason) => after.push([status, reason]));
  await r.client.connect();
  await r.client.whenLive();
  expect(r.client.getWatermark(RUNS)).toBe(5);
  await breakIt();
  after.length = 0;
  publishRange(srv, RUNS, 5);
  await until(() => r.client.status === 'closed', 'the client stops');
  await new Promise((resolve) => setTimeout(resolve, 200)); // a reconnect loop would show here
  expect(after).toEqual([['closed', 'store_failed']]); // no backoff, no redial
  expect(r.client.getMetrics().reconnects).toBe(0);
  expect(r.client.getWatermark(RUNS)).toBe(5);
  const stops = r.errors.filter((e) => e.code === 'store_failed');
  expect(stops).toHaveLength(1);
  expect(stops[0]).toMatchObject({ source: 'store', retryable: false, details: { reason } });
  await expect(r.client.whenLive()).rejects.toMatchObject({ code: 'store_failed' });
  await r.client.close();
  return r;
}

describe('a store closed from under the client', () => {
  it('sqlite closed by the app: one non-retryable store_failed, status closed (reason store_failed), no reconnect, the file untouched', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.sqlite');
    const store = createSqliteStore({ path });
    await breakUnderClient(store, () => store.close());
    const reopened = createSqliteStore({ path });
    const { watermarks, documents } = await reopened.load([RUNS]);
    expect(watermarks).toEqual({ [RUNS]: 5 });
    expect(documents.every((d) => d.watermark <= 5)).toBe(true);
    await reopened.close();
  });

  it('indexeddb closed by another tab upgrading the database (versionchange): the client stops, the data stays', async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ indexedDB: factory });
    const next: IdbUpgrade = (db) => void db.createObjectStore('extra');
    await breakUnderClient(store, async () => (await openIdb(factory, 'khala-sync', [...IDB_UPGRADES, next])).close());
    const db = await openIdb(factory, 'khala-sync', [...IDB_UPGRADES, next]);
    const marks = await new Promise<unknown>((resolve) => {
      const req = db.transaction('watermarks').objectStore('watermarks').getAll();
      req.onsuccess = () => resolve(req.result);
    });
    expect(marks).toMatchObject([{ topic: RUNS, watermark: 5 }]);
    db.close();
  });

  it('indexeddb connection closed by the browser (onclose): the client stops', async () => {
    const factory = new IDBFactory();
    const opened: IDBDatabase[] = [];
    // The factory the store is given, recording the connection it opens.
    const spy = Object.assign(Object.create(factory) as IDBFactory, {
      open: (name: string, version?: number) => {
        const req = factory.open(name, version);
        req.addEventListener('success', () => opened.push(req.result));
        return req;
      },
    });
    const store = createIndexedDbStore({ indexedDB: spy });
    await breakUnderClient(store, async () => opened.forEach((db) => forceCloseDatabase(db as never)));
    expect(opened).toHaveLength(1);
  });

  it('indexeddb deleted by another tab: the client stops instead of writing its cursor into a new, empty database', async () => {
    const factory = new IDBFactory();
    const store = createIndexedDbStore({ indexedDB: factory });
    await breakUnderClient(store, () =>
      new Promise<void>((resolve, reject) => {
        const req = factory.deleteDatabase('khala-sync');
        req.onsuccess = () => resolve();
        req.onerror = () => reject(req.error);
      }),
    );
    // Nothing recreated the database: a later start bootstraps from nothing, not from a cursor without its documents.
    expect((await factory.databases()).map((d) => d.name)).toEqual([]);
  });

  it('sqlite closed while a snapshot is staged: the client stops (no retry every second); a new client on the reopened file recovers from the stored cursor', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.sqlite');
    const srv = await startServer({ snapshotPageSize: 10 });
    const first = createSqliteStore({ path });
    await first.commit({ topic: RUNS, watermark: 1, documents: [{ topic: RUNS, docKey: 'old', docVersion: 1, payload: 'old', payloadHash: null, watermark: 1, hydrationPending: false }] });
    publishRange(srv, RUNS, 60, 30);
    srv.prune(RUNS, 50); // the stored cursor 1 is stale: snapshot
    const store: SyncStore = { ...first, stageSnapshot: async (topic, docs) => (await first.close(), first.stageSnapshot(topic, docs)) };
    const r = record(srv, { store, topics: [RUNS], snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    const snapshotReads: number[] = [];
    r.client.on('stale', () => snapshotReads.push(Date.now()));
    await r.client.connect();
    await expect(r.client.whenLive(RUNS)).rejects.toMatchObject({ code: 'store_failed', topic: RUNS });
    expect(r.client.status).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 1300)); // a retry would come after 1 s
    expect(r.errors.filter((e) => e.code === 'store_failed')).toMatchObject([{ retryable: false, details: { reason: 'closed' } }]);
    expect(snapshotReads).toHaveLength(1);
    expect(r.client.getSnapshot().topics[RUNS]?.phase).toBe('pending'); // not failed: connect() recovers it
    expect(r.client.getWatermark(RUNS)).toBe(1);
    await r.client.close();
    const second = createSqliteStore({ path });
    expect((await second.load([RUNS])).watermarks).toEqual({ [RUNS]: 1 });
    const again = record(srv, { store: second, topics: [RUNS], snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    await again.client.connect();
    await again.client.whenLive();
    expect(again.client.getWatermark(RUNS)).toBe(60);
    await again.client.close();
  });
});

/** A real SQLITE_FULL: a connection capped at its current size, then asked to grow. */
function sqliteFull(dir: string): unknown {
  const db = new Database(join(dir, 'full.sqlite'));
  db.exec('CREATE TABLE t (x TEXT)');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  try {
    db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000));
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error('expected SQLITE_FULL');
}

describe('a store out of space', () => {
  it('SQLITE_FULL and QuotaExceededError are non-retryable store_failed (reason quota); SQLITE_BUSY and an aborted transaction stay retryable', () => {
    const dir = tempDir();
    const full = sqliteFull(dir);
    expect(full).toMatchObject({ code: 'SQLITE_FULL' });
    expect(backendError('sqlite', 'commit', full)).toMatchObject({ code: 'store_failed', retryable: false, details: { reason: 'quota' } });
    const quota = new DOMException('quota reached', 'QuotaExceededError');
    expect(backendError('indexeddb', 'commit', quota)).toMatchObject({ code: 'store_failed', retryable: false, details: { reason: 'quota' } });
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(backendError('sqlite', 'commit', busy)).toMatchObject({ retryable: true, details: { operation: 'commit' } });
    expect(backendError('indexeddb', 'commit', new DOMException('aborted', 'AbortError'))).toMatchObject({ retryable: true });
  });

  it('a commit that runs out of space stops the client (status closed, reason store_failed); the stored cursor stays', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.sqlite');
    const inner = createSqliteStore({ path });
    let full = false;
    const store: SyncStore = { ...inner, commit: (c) => (full ? Promise.reject(backendError('sqlite', 'commit', sqliteFull(dir))) : inner.commit(c)) };
    await breakUnderClient(store, async () => void (full = true), 'quota');
    const reopened = createSqliteStore({ path });
    expect((await reopened.load([RUNS])).watermarks).toEqual({ [RUNS]: 5 });
    await reopened.close();
  });
});
