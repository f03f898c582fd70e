import { describe, expect, it } from 'vitest';
import type { LaneNotice } from '../../src/index.js';
import { ErrorCodes } from '../../src/errors/index.js';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import { publishN, range, seqsOf, stClient, stTestBed, STREAM_A, type StRecorded } from '../adapters/spacetime/client-helpers.js';
import { publishRange, record, RUNS, seqs, server, until, type Recorded } from './harness.js';

const bed = stTestBed();
const CYCLES = 6;

/** What a refreshing client reported beyond the recorder: notices, and every status after the first live. */
function observe(r: Recorded): { notices: LaneNotice[]; afterLive: string[] } {
  const notices: LaneNotice[] = [];
  const afterLive: string[] = [];
  let live = false;
  r.client.on('notice', (n) => notices.push(n));
  r.client.on('status', (s) => {
    if (live) afterLive.push(s);
    if (s === 'live') live = true;
  });
  return { notices, afterLive };
}

/** Publish one event every `everyMs` until stopped; `open()` is sampled at each tick (never 0 while refreshing). */
function load(publish: () => void, open: () => number, everyMs = 15): { stop(): void; minOpen(): number } {
  let min = Number.POSITIVE_INFINITY;
  const t = setInterval(() => {
    publish();
    min = Math.min(min, open());
  }, everyMs);
  return { stop: () => clearInterval(t), minOpen: () => min };
}

function switched(notices: LaneNotice[]): Array<Extract<LaneNotice, { type: 'token_refresh' }>> {
  return notices.filter((n): n is Extract<LaneNotice, { type: 'token_refresh' }> => n.type === 'token_refresh' && n.outcome === 'switched');
}

describe('token refresh ahead of expiry, make-before-break (issue #12 item 2) — Spacetime lane', () => {
  it(`${CYCLES} refresh cycles while events flow: exactly-once in order, always live, the old socket closed after each switch`, async () => {
    const srv = await bed.start({ tokenTtlSeconds: 3, tokenRefreshAfterSeconds: 0.4 });
    publishN(srv, STREAM_A, 20);
    const r: StRecorded = bed.track(stClient(srv, { topics: [STREAM_A], metrics: clientMetrics() }));
    const { notices, afterLive } = observe(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(STREAM_A) === 20, 'live');
    const due = r.client.metrics!.health().connection.tokenRefreshDueInMs;
    expect(due).not.toBeNull();
    expect(due!).toBeLessThanOrEqual(400);
    const flow = load(() => publishN(srv, STREAM_A, 1), () => srv.stats().openConnections);
    await until(() => switched(notices).length >= CYCLES, `${CYCLES} refreshes`, 20_000);
    flow.stop();
    const head = srv.head(STREAM_A);
    await until(() => r.client.getWatermark(STREAM_A) === head, 'caught up with the last publish');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, head));
    expect(afterLive).toEqual([]); // no replaying, no backoff: live at every moment
    expect(flow.minOpen()).toBeGreaterThanOrEqual(1);
    expect(r.errors).toEqual([]);
    const m = r.client.getMetrics();
    expect(m.tokenRefreshes).toBeGreaterThanOrEqual(CYCLES);
    expect(m.reconnects).toBe(0);
    // Each new socket resumed from the watermark; rows both sockets carried were dropped, not delivered.
    // Refreshes go on after the load stops: one standby may be open beside the current socket.
    const connections = srv.stats().connections;
    expect(connections).toBeGreaterThanOrEqual(1 + m.tokenRefreshes);
    expect(connections).toBeLessThanOrEqual(2 + r.client.getMetrics().tokenRefreshes);
    await until(() => srv.stats().openConnections === 1, 'old sockets closed');
    const overlaps = switched(notices).map((n) => n.overlapMs);
    expect(Math.max(...overlaps)).toBeLessThan(2000);
    console.log(`spacetime: ${overlaps.length} refreshes, overlap ms ${overlaps.join(',')}, duplicates dropped ${m.duplicatesDropped}, head ${head}`);
  });

  it('a failed refresh (token endpoint 500) keeps the old socket, retries with backoff and reports token_refresh_failed', async () => {
    const srv = await bed.start({ tokenTtlSeconds: 3, tokenRefreshAfterSeconds: 0.3 });
    publishN(srv, STREAM_A, 5);
    const delays: number[] = [];
    const r: StRecorded = bed.track(stClient(srv, { topics: [STREAM_A], reconnectDelay: (n) => (delays.push(n), 30 * n) }));
    const { notices, afterLive } = observe(r);
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    srv.faults.tokenStatus(500, 3);
    const flow = load(() => publishN(srv, STREAM_A, 1), () => srv.stats().openConnections);
    await until(() => switched(notices).length >= 1, 'a refresh after three failures', 10_000);
    flow.stop();
    const failures = r.errors.filter((e) => e.code === ErrorCodes.TOKEN_REFRESH_FAILED);
    expect(failures.map((e) => (e.details as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    expect(failures.every((e) => e.retryable && (e.details as { cause: string }).cause === ErrorCodes.TOKEN_PROVIDER_FAILED)).toBe(true);
    expect(failures[0]!.message).toContain('HTTP 500');
    expect(delays).toEqual([1, 2, 3]);
    expect(notices.filter((n) => n.type === 'token_refresh' && n.outcome === 'failed')).toHaveLength(3);
    expect(r.client.getMetrics().tokenRefreshFailures).toBe(3);
    // The old socket carried everything meanwhile: one connection until the successful refresh.
    expect(srv.stats().connections).toBe(2);
    expect(afterLive).toEqual([]);
    const head = srv.head(STREAM_A);
    await until(() => r.client.getWatermark(STREAM_A) === head, 'caught up');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, head));
  });

  it('a standby the server refuses is given up without touching the live socket', async () => {
    const srv = await bed.start({ tokenTtlSeconds: 3, tokenRefreshAfterSeconds: 0.3 });
    const r: StRecorded = bed.track(stClient(srv, { topics: [STREAM_A], reconnectDelay: () => 50 }));
    const { notices, afterLive } = observe(r);
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    srv.faults.refuseSessions({ code: 1011, reason: 'busy' }, 2);
    publishN(srv, STREAM_A, 3);
    await until(() => switched(notices).length >= 1, 'refreshed after two refused standbys', 10_000);
    expect(r.errors.map((e) => [e.code, (e.details as { cause?: string }).cause])).toEqual([
      [ErrorCodes.TOKEN_REFRESH_FAILED, ErrorCodes.CONNECT_FAILED],
      [ErrorCodes.TOKEN_REFRESH_FAILED, ErrorCodes.CONNECT_FAILED],
    ]);
    expect(afterLive).toEqual([]);
    publishN(srv, STREAM_A, 2);
    await until(() => r.client.getWatermark(STREAM_A) === 5, 'delivered');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 5));
  });

  it('tokenRefresh: false never replaces the socket', async () => {
    const srv = await bed.start({ tokenTtlSeconds: 3, tokenRefreshAfterSeconds: 0.1 });
    const r: StRecorded = bed.track(stClient(srv, { topics: [STREAM_A], tokenRefresh: false, metrics: clientMetrics() }));
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(srv.stats().connections).toBe(1);
    expect(r.client.metrics!.health().connection.tokenRefreshDueInMs).toBeNull();
  });
});

describe('token refresh — Khala lane', () => {
  it(`${CYCLES} refresh cycles while events flow: exactly-once in order, always live`, async () => {
    const srv = await server({ tokenRefreshAfterSeconds: 0.4 });
    const r = record(srv, { topics: [RUNS], metrics: clientMetrics() });
    try {
      publishRange(srv, RUNS, 20);
      const { notices, afterLive } = observe(r);
      await r.client.connect();
      await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 20, 'live');
      expect(r.client.metrics!.health().connection.tokenRefreshDueInMs).not.toBeNull();
      const flow = load(() => publishRange(srv, RUNS, 1, 10, 'more'), () => srv.stats().openConnections);
      await until(() => switched(notices).length >= CYCLES, `${CYCLES} refreshes`, 20_000);
      flow.stop();
      const head = srv.head(RUNS);
      await until(() => r.client.getWatermark(RUNS) === head, 'caught up with the last publish');
      expect(seqs(r, RUNS)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(afterLive).toEqual([]);
      expect(flow.minOpen()).toBeGreaterThanOrEqual(1);
      expect(r.errors).toEqual([]);
      expect(r.client.getMetrics().reconnects).toBe(0);
      const overlaps = switched(notices).map((n) => n.overlapMs);
      console.log(`khala: ${overlaps.length} refreshes, overlap ms ${overlaps.join(',')}, duplicates dropped ${r.client.getMetrics().duplicatesDropped}, head ${head}`);
    } finally {
      await r.client.close();
      await srv.close();
    }
  });
});

describe('token refresh: topics named like Object.prototype members keep their cursors', () => {
  it('a topic named __proto__ resumes on the standby from its watermark (no replay from 0)', async () => {
    const PROTO = '__proto__';
    const topics: Record<string, { replayBudget: number; snapshot: boolean; qosTier: 'hot' }> = {};
    for (const t of [PROTO, RUNS]) Object.defineProperty(topics, t, { value: { replayBudget: 100_000, snapshot: false, qosTier: 'hot' }, enumerable: true });
    const srv = await server({ tokenRefreshAfterSeconds: 0.3, topics });
    const r = record(srv, { topics: [PROTO, RUNS] });
    try {
      publishRange(srv, PROTO, 50);
      publishRange(srv, RUNS, 5);
      const { notices } = observe(r);
      await r.client.connect();
      await until(() => r.client.getWatermark(PROTO) === 50 && r.client.getWatermark(RUNS) === 5, 'both topics applied');
      // The reference server sends each batch in both forms (update_batch and frame): the second copy
      // is a duplicate from the start, so only what the refreshes add is compared.
      const atLive = r.client.getMetrics().duplicatesDropped;
      await until(() => switched(notices).length >= 2, 'two refreshes', 10_000);
      publishRange(srv, PROTO, 1);
      await until(() => r.client.getWatermark(PROTO) === 51, 'the next event applied');
      expect(seqs(r, PROTO)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
      // A standby that lost the cursor subscribes from 0 and the server replays all 50 again.
      expect(r.client.getMetrics().duplicatesDropped - atLive).toBeLessThan(50);
      expect(r.errors).toEqual([]);
    } finally {
      await r.client.close();
      await srv.close();
    }
  });
});
