import { afterEach, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { converged, EVENTS, noDuplicates, publishRange, record, RUNS, seqs, server, until, WORKERS, type Recorded } from './harness.js';
import { httpSnapshotSource } from '../../src/http.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

/** Run a client to `watermark`, close it, and hand back its store (now holding that cursor). */
async function primedStore(topics: string[], watermark: Record<string, number>) {
  const store = createMemoryStore();
  // The first client must not close the shared store: hand it a view whose close() is a no-op.
  const view: SyncStore = { ...store, close: async () => undefined };
  const r = record(srv, { topics, store: view });
  await r.client.connect();
  await until(() => Object.entries(watermark).every(([t, w]) => r.client.getWatermark(t) === w), 'prime');
  await r.client.close();
  return store;
}

describe('stale cursor recovery against the reference server', () => {
  it('bootstraps from the snapshot once (three copies of stale_cursor), keeps other topics, resumes live from the head', async () => {
    srv = await server();
    publishRange(srv, RUNS, 40);
    publishRange(srv, WORKERS, 15);
    const store = await primedStore([RUNS, WORKERS], { [RUNS]: 40, [WORKERS]: 15 });
    publishRange(srv, RUNS, 200, 25, 'later');
    publishRange(srv, WORKERS, 5);
    srv.prune(RUNS, 230);
    const r = record(srv, { topics: [RUNS, WORKERS], store, snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.events.some((e) => e.type === 'bootstrap'), 'bootstrap');
    expect(r.events.filter((e) => e.type === 'stale')).toEqual([{ type: 'stale', topic: RUNS, reason: 'retention_floor_breach' }]);
    expect(r.events.filter((e) => e.type === 'bootstrap')).toHaveLength(1);
    expect(r.client.getWatermark(RUNS)).toBe(240);
    expect(converged(srv, r.client, RUNS)).toBe(true);
    // The fresh topic resumed from its own cursor: exactly the 5 new events.
    expect(seqs(r, WORKERS)).toEqual([16, 17, 18, 19, 20]);
    publishRange(srv, RUNS, 10);
    await until(() => r.client.getWatermark(RUNS) === 250);
    expect(seqs(r, RUNS)).toEqual(Array.from({ length: 10 }, (_, i) => 241 + i));
    expect(converged(srv, r.client, RUNS)).toBe(true);
  });

  it('without a snapshot source, resubscribes with the topic left out of resume_after and converges', async () => {
    srv = await server();
    publishRange(srv, EVENTS, 10);
    const store = await primedStore([EVENTS], { [EVENTS]: 10 });
    publishRange(srv, EVENTS, 50);
    srv.prune(EVENTS, 30);
    const r = record(srv, { topics: [EVENTS], store });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(EVENTS) === 60, 'replay from oldest');
    expect(seqs(r, EVENTS)).toEqual(Array.from({ length: 30 }, (_, i) => 31 + i));
    expect(r.events.filter((e) => e.type === 'stale')).toHaveLength(1);
  });

  it('replay_budget_exceeded without snapshot: replays retained events but never applies one twice', async () => {
    srv = await server({ topics: { [EVENTS]: { replayBudget: 20, snapshot: false, qosTier: 'hot' } } });
    publishRange(srv, EVENTS, 10);
    const store = await primedStore([EVENTS], { [EVENTS]: 10 });
    publishRange(srv, EVENTS, 40);
    const r = record(srv, { topics: [EVENTS], store });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(EVENTS) === 50 && r.client.status === 'live', 'catch up');
    expect(seqs(r, EVENTS)).toEqual(Array.from({ length: 40 }, (_, i) => 11 + i));
    // 10 already-applied events replayed, plus the sync:frame copy of all 50 (decoded to compare hashes, A13).
    expect(r.client.getMetrics()).toMatchObject({ duplicatesDropped: 60, staleRecoveries: 1, bootstraps: 0 });
  });

  it('stops with stale_cursor_loop instead of looping when the snapshot head is itself stale', async () => {
    srv = await server();
    publishRange(srv, RUNS, 10);
    const store = await primedStore([RUNS], { [RUNS]: 10 });
    publishRange(srv, RUNS, 100);
    srv.prune(RUNS, 105);
    // Retention passes the snapshot's head while it is read (at the head the error reported, so it is
    // not refused as behind, R12): resuming from it is stale again.
    const live = srv;
    const r = record(srv, {
      topics: [RUNS],
      store,
      snapshot: async function* (topic) {
        publishRange(live, RUNS, 10);
        live.prune(RUNS, 115);
        yield { topic, headWatermark: 110, docs: [] };
      },
    });
    open.push(r);
    await r.client.connect();
    await until(() => r.errors.some((e) => e.code === 'stale_cursor_loop'), 'loop guard');
    await new Promise((res) => setTimeout(res, 200));
    expect(srv.stats().staleCursors).toBe(2);
    expect(r.client.getSnapshot().topics[RUNS]?.phase).toBe('failed');
  });

  it('retries the snapshot after 503 with Retry-After and still converges', async () => {
    srv = await server();
    publishRange(srv, RUNS, 10);
    const store = await primedStore([RUNS], { [RUNS]: 10 });
    publishRange(srv, RUNS, 30);
    srv.prune(RUNS, 35);
    srv.faults.snapshotStatus(503, 0, 2);
    const r = record(srv, { topics: [RUNS], store, snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    open.push(r);
    await r.client.connect();
    await until(() => r.events.some((e) => e.type === 'bootstrap') && r.client.status === 'live', 'bootstrap after 503');
    expect(converged(srv, r.client, RUNS)).toBe(true);
    expect(noDuplicates(seqs(r, RUNS))).toBe(true);
  });
});
