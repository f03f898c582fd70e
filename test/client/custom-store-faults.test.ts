import { afterEach, describe, expect, it } from 'vitest';
import { httpSnapshotSource } from '../../src/bootstrap/http-snapshot-source.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { publishRange, record, RUNS, server, until } from './harness.js';

// A custom SyncStore (the app's own) that breaks its contract: methods that throw synchronously,
// return plain values instead of promises, or resolve with the wrong shape. The client must report
// a typed store error and never leave a rejection unhandled (Node would end the process).

let srv: ReferenceServer | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);

afterEach(async () => {
  await srv?.close();
  srv = undefined;
  // Give a late rejection a turn to surface before judging.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(unhandled.splice(0)).toEqual([]);
});

/** A server whose journal no longer holds cursor 1, and a store holding cursor 1: the client bootstraps. */
async function staleStart(): Promise<SyncStore> {
  srv = await server({ snapshotPageSize: 10 });
  publishRange(srv, RUNS, 30, 10);
  srv.prune(RUNS, 25);
  const inner = createMemoryStore();
  await inner.commit({ topic: RUNS, watermark: 1, documents: [] });
  return inner;
}

function broken(overrides: Partial<SyncStore>): SyncStore {
  return { ...createMemoryStore(), ...overrides } as SyncStore;
}

describe('a custom store that breaks the SyncStore contract', () => {
  for (const [name, load] of [
    ['resolves undefined', () => Promise.resolve(undefined)],
    ['resolves null watermarks and documents', () => Promise.resolve({ watermarks: null, documents: null })],
    ['resolves a null document', () => Promise.resolve({ watermarks: {}, documents: [null] })],
    [
      'throws synchronously',
      () => {
        throw new Error('sync throw');
      },
    ],
  ] as const) {
    it(`load ${name}: subscribe rejects with a typed store_failed`, async () => {
      srv = await server();
      const r = record(srv, { store: broken({ load: load as never }) });
      await expect(r.client.subscribe(RUNS)).rejects.toMatchObject({ code: 'store_failed', source: 'store', details: { operation: 'load' } });
      await r.client.close();
    });
  }

  it('commit returns a plain value (a synchronous store): the write counts, no error, no reconnect loop', async () => {
    srv = await server();
    const inner = createMemoryStore();
    const r = record(srv!, { topics: [RUNS], store: broken({ commit: ((c: Parameters<SyncStore['commit']>[0]) => void inner.commit(c)) as never, load: inner.load }) });
    publishRange(srv, RUNS, 3);
    await r.client.connect();
    await r.client.whenLive();
    publishRange(srv, RUNS, 3);
    await until(() => r.client.getWatermark(RUNS) === 6, 'applied');
    expect(r.errors.map((e) => e.code)).toEqual([]);
    expect(r.client.getMetrics().reconnects).toBe(0);
    await r.client.close();
  });

  it('commit throws synchronously: a retryable store_failed, nothing advanced', async () => {
    srv = await server();
    let fail = false;
    const inner = createMemoryStore();
    const r = record(srv!, {
      topics: [RUNS],
      store: broken({
        load: inner.load,
        commit: (c) => {
          if (fail) throw new Error('sync throw');
          return inner.commit(c);
        },
      }),
    });
    publishRange(srv, RUNS, 3);
    await r.client.connect();
    await r.client.whenLive();
    fail = true;
    publishRange(srv, RUNS, 1);
    await until(() => r.errors.length > 0, 'error');
    expect(r.errors[0]).toMatchObject({ code: 'store_failed', retryable: true });
    expect(r.client.getWatermark(RUNS)).toBe(3);
    await r.client.close();
  });

  for (const [name, commitSnapshot] of [
    ['resolves a non-array', () => Promise.resolve(42)],
    ['resolves null', () => Promise.resolve(null)],
  ] as const) {
    it(`commitSnapshot ${name}: a typed error or the bootstrap, never an unhandled rejection`, async () => {
      const inner = await staleStart();
      const r = record(srv!, { topics: [RUNS], store: broken({ load: inner.load, stageSnapshot: inner.stageSnapshot, discardSnapshot: inner.discardSnapshot, commitSnapshot: commitSnapshot as never }), snapshot: httpSnapshotSource({ baseUrl: srv!.snapshotUrl }) });
      await r.client.connect();
      await until(() => r.events.some((e) => e.type === 'bootstrap') || r.errors.length > 0, 'snapshot outcome');
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const e of r.errors) expect(e.code).toMatch(/^(store|snapshot)_failed$/);
      await r.client.close();
    });
  }

  it('commitSnapshot and the staging calls return plain values (a synchronous store): the snapshot is applied', async () => {
    const inner = await staleStart();
    const staged: Parameters<SyncStore['stageSnapshot']>[1] = [];
    const r = record(srv!, {
      topics: [RUNS],
      store: broken({
        load: inner.load,
        discardSnapshot: (() => void staged.splice(0)) as never,
        stageSnapshot: ((_topic: string, docs: typeof staged) => void staged.push(...docs)) as never,
        commitSnapshot: (() => staged) as never,
      }),
      snapshot: httpSnapshotSource({ baseUrl: srv!.snapshotUrl }),
    });
    await r.client.connect();
    await r.client.whenLive();
    expect(r.events.some((e) => e.type === 'bootstrap')).toBe(true);
    expect(r.client.listDocuments(RUNS)).toHaveLength(10);
    expect(r.errors).toEqual([]);
    await r.client.close();
  });

  it('discardSnapshot returns a plain value and stageSnapshot throws synchronously: typed errors only', async () => {
    const inner = await staleStart();
    const r = record(srv!, {
      topics: [RUNS],
      store: broken({
        load: inner.load,
        discardSnapshot: (() => undefined) as never,
        stageSnapshot: () => {
          throw new Error('sync throw');
        },
      }),
      snapshot: httpSnapshotSource({ baseUrl: srv!.snapshotUrl }),
    });
    await r.client.connect();
    await until(() => r.errors.length > 0, 'error');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.errors[0]).toMatchObject({ code: 'snapshot_failed', message: 'Error: sync throw' }); // the store's own error, not a TypeError of ours
    await r.client.close();
  });

  for (const [name, close] of [
    ['rejects', () => Promise.reject(new Error('close failed'))],
    [
      'throws synchronously',
      () => {
        throw new Error('close failed');
      },
    ],
  ] as const) {
    it(`close ${name}: client.close() still releases the socket, then rejects with a typed store_failed`, async () => {
      srv = await server();
      publishRange(srv, RUNS, 2);
      const r = record(srv, { topics: [RUNS], store: broken({ close: close as never }) });
      await r.client.connect();
      await r.client.whenLive();
      expect(srv.stats().openConnections).toBe(1);
      await expect(r.client.close()).rejects.toMatchObject({ code: 'store_failed', details: { operation: 'close' } });
      expect(srv.stats().openConnections).toBe(0);
    });
  }
});
