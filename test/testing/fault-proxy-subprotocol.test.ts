import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SyncClient } from '../../src/client/sync-client.js';
import { startSpacetimeServer, type SpacetimeServer } from '../../src/server/index.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { startFaultProxy, type FaultProxy } from '../../src/testing.js';
import { tokenEndpoint } from '../../src/http.js';

let server: SpacetimeServer | undefined;
let proxy: FaultProxy | undefined;
let client: SyncClient | undefined;
afterEach(async () => {
  await client?.close();
  await proxy?.close();
  await server?.close();
  client = proxy = server = undefined;
});

/** Open a raw socket offering `protocols`; resolve with the echoed protocol or the refusal status. */
function handshake(url: string, protocols: string[]): Promise<{ protocol?: string; status?: number; error?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    ws.on('open', () => {
      resolve({ protocol: ws.protocol });
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => resolve({ error: err.message }));
  });
}

/** Connect a Spacetime-lane client on `s.a` through `via` (closed after the test); it collects its error codes. */
async function connectThroughProxy(upstream: SpacetimeServer, via: FaultProxy): Promise<{ c: SyncClient; errors: string[] }> {
  const c = new SyncClient({ url: via.url, lane: createSpacetimeLane(), token: tokenEndpoint({ url: via.via(upstream.tokenUrl) }), topics: ['s.a'], reconnectDelay: () => 10 });
  client = c;
  const errors: string[] = [];
  c.on('error', (e) => errors.push(e.code));
  await c.connect();
  return { c, errors };
}

describe('fault proxy: Sec-WebSocket-Protocol passes through (Spacetime lane)', () => {
  it('relays the upstream choice, not its own: the server picks from its own preference list', async () => {
    server = await startSpacetimeServer({ port: 0 });
    proxy = await startFaultProxy({ target: server.url });
    expect(proxy.url).toMatch(/\/v1\/database\/autopilot-sync\/subscribe$/);
    expect(await handshake(proxy.url, ['v1.json.spacetimedb'])).toEqual({ protocol: 'v1.json.spacetimedb' });
    // Both offered: the server walks its own list (bsatn first); the proxy must echo that, not the client's first.
    expect(await handshake(proxy.url, ['v1.json.spacetimedb', 'v1.bsatn.spacetimedb'])).toEqual({ protocol: 'v1.bsatn.spacetimedb' });
    // No overlap: the upstream's 400 is relayed with its status.
    expect(await handshake(proxy.url, ['khala.ws.v1'])).toEqual({ status: 400 });
    expect(proxy.stats().connections).toBe(2);
  });

  it('a Spacetime-lane SyncClient behind the proxy replays, goes live and survives a cut', async () => {
    server = await startSpacetimeServer({ port: 0 });
    for (let i = 0; i < 12; i++) server.publish('s.a', [{ payload: { i } }]);
    proxy = await startFaultProxy({ target: server.url });
    const { c, errors } = await connectThroughProxy(server, proxy);
    await waitUntil(() => c.getWatermark('s.a') === 12 && c.status === 'live');
    proxy.cutAll();
    server.publish('s.a', [{ payload: { i: 12 } }]);
    await waitUntil(() => c.getWatermark('s.a') === 13 && c.status === 'live');
    expect(errors).not.toContain('subprotocol_mismatch');
    expect(proxy.stats().connections).toBe(2);
    expect(c.listDocuments('s.a')).toHaveLength(13);
  });
});

async function waitUntil(ok: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('fault proxy: a wrong or missing subprotocol echo is relayed as is', () => {
  it('the client sees the same handshake failure as without the proxy (not a 502)', async () => {
    server = await startSpacetimeServer({ port: 0 });
    proxy = await startFaultProxy({ target: server.url });
    server.faults.echoProtocol('v1.bsatn.spacetimedb');
    const direct = await handshake(server.url, ['v1.json.spacetimedb']);
    expect(direct).toEqual({ error: 'Server sent an invalid subprotocol' });
    expect(await handshake(proxy.url, ['v1.json.spacetimedb'])).toEqual(direct);
    server.faults.echoProtocol(null);
    expect(await handshake(proxy.url, ['v1.json.spacetimedb'])).toEqual({ error: 'Server sent no subprotocol' });
    expect(proxy.stats().upgradeFailures).toBe(2);
  });

  it('a Spacetime-lane SyncClient behind the proxy stops with subprotocol_mismatch / upgrade_required', async () => {
    server = await startSpacetimeServer({ port: 0 });
    server.faults.echoProtocol('v1.bsatn.spacetimedb');
    proxy = await startFaultProxy({ target: server.url });
    const { c, errors } = await connectThroughProxy(server, proxy);
    await waitUntil(() => c.status === 'upgrade_required');
    expect(errors).toEqual(['subprotocol_mismatch']);
    expect(proxy.stats().upgradeFailures).toBe(1);
  });
});
