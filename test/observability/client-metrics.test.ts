import { afterEach, describe, expect, it } from 'vitest';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import type { ClientHealth } from '../../src/observability/health.js';
import type { MetricsRegistry } from '../../src/observability/registry.js';
import type { ReferenceServer, SpacetimeServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { publishN, stClient, stServer, STREAM_A } from '../adapters/spacetime/client-helpers.js';
import { publishRange, record, RUNS, server, until, type Recorded } from '../client/harness.js';
import { httpSnapshotSource } from '../../src/http.js';

let srv: ReferenceServer | undefined;
let st: SpacetimeServer | undefined;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
  await st?.close();
  srv = undefined;
  st = undefined;
});

/** Every counter/gauge sample and every histogram count, by `name` or `name{label}`. */
function values(registry: MetricsRegistry): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of registry.snapshot().metrics) {
    if (m.histogram) out[m.def.name] = m.histogram.count;
    else for (const s of m.samples) out[s.label === undefined ? m.def.name : `${m.def.name}{${s.label}}`] = s.value;
  }
  return out;
}

describe('client metrics and health against the reference server', () => {
  it('a forced stale cursor moves exactly the stale, bootstrap and caught-up metrics; live updates move applied and commit', async () => {
    srv = await server();
    publishRange(srv, RUNS, 50);
    srv.prune(RUNS, 40);
    const store = createMemoryStore();
    await store.commit({ topic: RUNS, watermark: 5, documents: [] }); // a cursor below the retention floor
    const r = record(srv, { topics: [RUNS], snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }), store, metrics: clientMetrics() });
    open.push(r);
    const stale: string[] = [];
    r.client.on('stale', (s) => stale.push(s.reason ?? 'unspecified'));
    let batches = 0;
    r.client.on('updates', () => batches++);
    const before = values(r.client.metrics!);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 50, 'bootstrapped and live');
    publishRange(srv, RUNS, 3);
    await until(() => r.client.getWatermark(RUNS) === 53, 'three live updates');
    const caughtUps = r.events.filter((e) => e.type === 'caught_up').length;

    const after = values(r.client.metrics!);
    const moved = Object.fromEntries(Object.entries(after).filter(([k, v]) => v !== (before[k] ?? 0)));
    expect(stale).toHaveLength(1);
    expect(moved).toEqual({
      [`khala_sync.stale.recoveries{${stale[0]}}`]: 1,
      'khala_sync.snapshot.bootstraps': 1,
      'khala_sync.snapshot.bootstrap.duration': 1,
      'khala_sync.caught_up.duration': caughtUps,
      'khala_sync.updates.applied': 3,
      // The sync:frame copy of each live update: decoded (the topic carries hashes) and compared (SPEC.md A13).
      'khala_sync.duplicates.dropped': 3,
      'khala_sync.store.commit.duration': batches,
    });
    expect(caughtUps).toBe(1);
    expect(batches).toBeGreaterThanOrEqual(1);
    const h = r.client.metrics!.health();
    expect(h.connection).toMatchObject({ lane: 'khala', state: 'live', connectAttempts: 1, reconnectAttempts: 0, nextRetryMs: null, lastDisconnectReason: null });
    // The endpoint's refresh_after_in is 270 s (ttl 300 − 30); the refresh starts 5 s before it.
    expect(h.connection.tokenRefreshDueInMs).toBeGreaterThan(255_000);
    expect(h.connection.tokenRefreshDueInMs).toBeLessThanOrEqual(265_000);
    expect(h.topics).toEqual([{ topic: RUNS, phase: 'live', watermark: 53, serverHead: 53, lag: 0, replayProgressPct: 100, caughtUp: true, lastAppliedAt: expect.any(Number) as number }]);
  });

  it('a reconnect storm shows in every client’s reconnect counter and delay histogram, classified', async () => {
    srv = await server();
    publishRange(srv, RUNS, 5);
    const fleet = Array.from({ length: 5 }, () => record(srv!, { topics: [RUNS], metrics: clientMetrics() }));
    open.push(...fleet);
    await Promise.all(fleet.map((r) => r.client.connect()));
    await until(() => fleet.every((r) => r.client.status === 'live'), 'fleet live');
    srv.faults.dropConnections();
    await until(() => fleet.every((r) => r.statuses.includes('backoff') && r.client.status === 'live'), 'fleet back');
    for (const r of fleet) {
      const v = values(r.client.metrics!);
      const byReason = Object.entries(v).filter(([k]) => k.startsWith('khala_sync.reconnects{'));
      expect(byReason.reduce((n, [, x]) => n + x, 0)).toBe(r.client.getMetrics().reconnects);
      expect(byReason.map(([k]) => k)).toEqual(['khala_sync.reconnects{network}']);
      expect(v['khala_sync.reconnect.delay']).toBe(r.client.getMetrics().reconnects);
      expect(r.client.metrics!.health().connection).toMatchObject({ reconnectAttempts: r.client.getMetrics().reconnects, lastDisconnectReason: 'network', connectAttempts: 1 + r.client.getMetrics().reconnects });
    }
    const total = fleet.reduce((n, r) => n + (values(r.client.metrics!)['khala_sync.reconnects{network}'] ?? 0), 0);
    expect(total).toBeGreaterThanOrEqual(fleet.length);
  });

  it('health lives in the plug-in: a client without it has none (reconnects still counted); onHealth() returns its removal', async () => {
    srv = await server();
    const bare = record(srv, { topics: [RUNS] });
    const r = record(srv, { topics: [RUNS], metrics: clientMetrics() });
    open.push(bare, r);
    const calls: ClientHealth[] = [];
    const removed: ClientHealth[] = [];
    r.client.metrics!.onHealth((h) => calls.push(h));
    r.client.metrics!.onHealth((h) => removed.push(h))();
    await Promise.all([bare.client.connect(), r.client.connect()]);
    await until(() => bare.client.status === 'live' && r.client.status === 'live', 'live');
    srv.faults.dropConnections();
    await until(() => [bare, r].every((x) => x.statuses.includes('backoff') && x.client.status === 'live'), 'back');
    expect(bare.client.metrics).toBeUndefined();
    expect('health' in bare.client).toBe(false);
    expect(bare.client.getMetrics().reconnects).toBeGreaterThan(0);
    expect(r.client.metrics!.health().connection).toMatchObject({ reconnectAttempts: r.client.getMetrics().reconnects, lastDisconnectReason: 'network' });
    expect(calls.map((h) => h.connection.state)).toEqual(expect.arrayContaining(['connecting', 'live', 'backoff']));
    expect(removed).toEqual([]);
  });

  it('a slow consumer shows its throttle and its eviction; a refused frame counts by its code', async () => {
    srv = await server();
    publishRange(srv, RUNS, 5);
    const r = record(srv, { topics: [RUNS], metrics: clientMetrics() });
    open.push(r);
    const healths: ClientHealth[] = [];
    r.client.metrics!.onHealth((h) => healths.push(h));
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    srv.faults.pushRaw('not json');
    srv.faults.slowConsumer('throttle');
    await until(() => values(r.client.metrics!)['khala_sync.slow_consumer.events{throttle}'] === 1, 'throttle counted');
    srv.faults.slowConsumer('disconnect');
    await until(() => values(r.client.metrics!)['khala_sync.slow_consumer.events{disconnect}'] === 1 && r.client.status === 'live', 'evicted and back');
    const v = values(r.client.metrics!);
    expect(v['khala_sync.reconnects{slow_consumer}']).toBe(1);
    expect(v['khala_sync.frames.rejected{malformed_frame}']).toBe(1);
    expect(Object.keys(v).filter((k) => k.startsWith('khala_sync.frames.rejected{'))).toEqual(['khala_sync.frames.rejected{malformed_frame}']);
    expect(r.client.metrics!.health().connection.lastDisconnectReason).toBe('slow_consumer');
    expect(healths.some((h) => h.connection.state === 'backoff' && h.connection.nextRetryMs !== null && h.connection.lastDisconnectReason === 'slow_consumer')).toBe(true);
    expect(healths.some((h) => h.connection.lastError?.code === 'slow_consumer')).toBe(true);
  });

  it('health on the Spacetime lane: per-stream watermark, head, lag and progress while replaying, then caught up', async () => {
    st = await stServer();
    publishN(st, STREAM_A, 40);
    const r = stClient(st, { topics: [STREAM_A], metrics: clientMetrics() });
    open.push(r);
    const seen: ClientHealth[] = [];
    r.client.metrics!.onHealth((h) => seen.push(h));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 40 && r.events.some((e) => e.type === 'caught_up'), 'caught up');
    const h = r.client.metrics!.health();
    expect(h.connection.lane).toBe('spacetime');
    expect(h.connection.state).toBe('live');
    expect(h.topics).toEqual([{ topic: STREAM_A, phase: 'live', watermark: 40, serverHead: 40, lag: 0, replayProgressPct: 100, caughtUp: true, lastAppliedAt: expect.any(Number) as number }]);
    expect(values(r.client.metrics!)['khala_sync.updates.applied']).toBe(40);
    expect(values(r.client.metrics!)['khala_sync.apply.latency']).toBeGreaterThan(0); // committed_at_unix_ms is carried
    expect(seen.length).toBeGreaterThan(0);
  });
});
