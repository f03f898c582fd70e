// API calls that race the client's own lifecycle: after close(), and after a failed load.
import { afterEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { StoreError } from '../../src/errors/store-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { publishRange, RUNS, server, until, WORKERS } from './harness.js';
import { tokenEndpoint } from '../../src/http.js';

let srv: ReferenceServer;
afterEach(async () => srv?.close());

describe('API calls after close()', () => {
  it('subscribe and unsubscribe reject with client_closed without touching the store; resync changes nothing', async () => {
    srv = await server();
    publishRange(srv, RUNS, 5);
    const store = createMemoryStore();
    const loads: string[][] = [];
    const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [RUNS], store: { ...store, load: (t) => (loads.push(t ?? []), store.load(t)) } });
    await client.connect();
    await until(() => client.getWatermark(RUNS) === 5, 'caught up');
    await client.close();
    const before = client.getSnapshot();
    await expect(client.subscribe(WORKERS)).rejects.toMatchObject({ code: 'client_closed' });
    await expect(client.unsubscribe(RUNS)).rejects.toMatchObject({ code: 'client_closed' });
    client.resync(RUNS);
    expect(loads).toEqual([[RUNS]]);
    expect(client.getSnapshot()).toBe(before);
    expect(client.getWatermark(RUNS)).toBe(5);
  });
});

describe('a failed subscribe load', () => {
  it('does not make later unsubscribe calls reject with its error', async () => {
    srv = await server();
    const store = createMemoryStore();
    let fail = true;
    const client = new SyncClient({
      url: srv.url,
      token: tokenEndpoint({ url: srv.tokenUrl }),
      store: { ...store, load: (t) => (fail ? Promise.reject(new StoreError(ErrorCodes.STORE_FAILED, 'disk gone')) : store.load(t)) },
    });
    await expect(client.subscribe(RUNS)).rejects.toMatchObject({ code: 'store_failed' });
    fail = false;
    await expect(client.unsubscribe(RUNS)).resolves.toBeUndefined();
    await client.close();
  });
});

describe('unsubscribe while batches of the topic are in flight', () => {
  it('drops them without an unsubscribed_topic error; a resubscribe resumes with no gap and no duplicate', async () => {
    srv = await server({ maxBatchSize: 5 });
    publishRange(srv, RUNS, 600);
    const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [RUNS, WORKERS] });
    const errors: string[] = [];
    const applied: number[] = [];
    client.on('error', (e) => errors.push(e.code));
    client.on('updates', (b) => applied.push(...b.updates.filter((u) => u.topic === RUNS).map((u) => u.watermark)));
    let left: Promise<void> | undefined;
    client.on('updates', (b) => void (b.topic === RUNS && (left ??= client.unsubscribe(RUNS))));
    await client.connect();
    await until(() => left !== undefined, 'first batch');
    await left;
    await new Promise((r) => setTimeout(r, 200)); // the batches already sent arrive
    expect(errors).toEqual([]);
    await client.subscribe(RUNS);
    await until(() => client.getWatermark(RUNS) === 600, 'resubscribed');
    expect(applied).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    await client.close();
  });
});

describe('close() twice', () => {
  it('the second call resolves only once the first finished: the store is flushed and closed', async () => {
    srv = await server();
    publishRange(srv, RUNS, 5);
    const store = createMemoryStore();
    let storeClosed = false;
    const slowClose = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 50));
      await store.close();
      storeClosed = true;
    };
    const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [RUNS], store: { ...store, close: slowClose } });
    await client.connect();
    await until(() => client.getWatermark(RUNS) === 5, 'caught up');
    const first = client.close();
    await client.close();
    expect(storeClosed).toBe(true);
    await first;
  });
});
