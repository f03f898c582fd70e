import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import { startReferenceServer } from '../../src/server/index.js';
import { record, RUNS, until } from '../client/harness.js';
import { subscribeThenSend } from './hostile-server.js';

// Numbers a server chooses that drive the client's timers: each is capped, so none can park the
// client for days, nor overflow a timer (above 2^31 − 1 ms `setTimeout` fires at once) into a loop.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A reference server whose tokens ask for a refresh after `seconds`, and a client live on it. */
async function liveWithRefreshAfter(seconds: number) {
  const srv = await startReferenceServer({ port: 0, tokenRefreshAfterSeconds: seconds });
  cleanups.push(() => srv.close());
  const r = record(srv, { topics: [RUNS], metrics: clientMetrics() });
  cleanups.push(() => r.client.close());
  await r.client.connect();
  await until(() => r.client.status === 'live', 'live');
  return { srv, r };
}

describe('server-chosen delays are capped', () => {
  for (const [field, value] of [
    ['retry_after_ms', 3_600_000],
    ['reconnect_after_ms', 1e12],
  ] as const) {
    it(`a socket error asking for ${field}: ${value} waits at most maxRetryAfterMs before the reconnect`, async () => {
      const error = JSON.stringify([null, null, 'sync:v1', 'sync:error', { code: 'rate_limited', [field]: value }]);
      let sent = 0;
      const srv = await subscribeThenSend(() => (sent++ === 0 ? [error] : []));
      cleanups.push(() => srv.close());
      const client = new SyncClient({ url: srv.url, token: 't0ken', topics: [RUNS], reconnectDelay: () => 20, maxRetryAfterMs: 300, metrics: clientMetrics() });
      cleanups.push(() => client.close());
      const waits: number[] = [];
      client.on('status', (s) => s === 'backoff' && waits.push(client.metrics!.health().connection.nextRetryMs!));
      await client.connect();
      await until(() => srv.accepted === 2, 'reconnected', 3000);
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThanOrEqual(250);
      expect(waits[0]).toBeLessThanOrEqual(300);
    });
  }

  it('a refresh_after_in past the largest timer (34.7 days) schedules one refresh in ~24.8 days, not a refresh loop', async () => {
    const { srv, r } = await liveWithRefreshAfter(3e6);
    await sleep(300);
    expect(r.client.getMetrics().tokenRefreshes).toBe(0);
    expect(srv.stats().connections).toBe(1);
    const due = r.client.metrics!.health().connection.tokenRefreshDueInMs!;
    expect(due).toBeGreaterThan(24 * 86_400_000);
    expect(due).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('a refresh_after_in of 0.0001 s refreshes at most once a second, not once per round trip (287 refreshes in 1.5 s before)', async () => {
    const { r } = await liveWithRefreshAfter(0.0001);
    await until(() => r.client.getMetrics().tokenRefreshes >= 1, 'the first refresh', 3000);
    const started = Date.now();
    await sleep(1500);
    const more = r.client.getMetrics().tokenRefreshes - 1;
    expect(more).toBeGreaterThanOrEqual(1);
    expect(more).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000));
    expect(r.client.status).toBe('live');
  });
});

describe('a server that never answers cannot hold the client', () => {
  it('a peer that takes the TCP connection and never answers the upgrade: connect_failed after joinTimeoutMs, then the client dials again', async () => {
    const sockets: Socket[] = [];
    const tcp = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      tcp.close(() => resolve());
    }));
    const client = new SyncClient({ url: `ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/sync/socket/websocket`, token: 't0ken', topics: [RUNS], reconnectDelay: () => 20, joinTimeoutMs: 200, metrics: clientMetrics() });
    cleanups.push(() => client.close());
    const codes: string[] = [];
    client.on('error', (e) => codes.push(e.code));
    await client.connect();
    await until(() => sockets.length >= 3, 'dialled again twice', 3000);
    expect(codes.slice(0, 2)).toEqual(['connect_failed', 'connect_failed']);
    expect(client.metrics!.health().connection.lastDisconnectReason).toBe('network');
  });
});
