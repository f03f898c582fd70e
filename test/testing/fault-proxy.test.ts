import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { SyncClient } from '../../src/client/sync-client.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { startFaultProxy, type FaultEvent, type FaultProxy, type FaultRules } from '../../src/testing.js';
import { seededRandom, pointRandom } from '../../src/testing/seeded-random.js';

/** A scripted upstream: `burst <n> <pad>` pushes n numbered frames; everything received is kept. */
interface Upstream {
  url: string;
  received: string[];
  closes: number[];
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const http: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, auth: req.headers.authorization ?? null }));
  });
  const wss = new WebSocketServer({ server: http });
  const up: Upstream = { url: '', received: [], closes: [], close: async () => undefined };
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ hello: req.url }));
    ws.on('message', (data) => {
      const text = data.toString();
      up.received.push(text);
      const m = /^burst (\d+) (\d+)$/.exec(text);
      if (m) for (let i = 0; i < Number(m[1]); i++) ws.send(JSON.stringify({ i, pad: 'x'.repeat(Number(m[2])) }));
    });
    ws.on('close', (code) => up.closes.push(code));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  up.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  up.close = () =>
    new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.close(() => r());
      http.closeAllConnections();
    });
  return up;
}

interface Peer {
  ws: WebSocket;
  got: Array<{ i: number; at: number }>;
  hello: string | undefined;
  closed: Promise<number>;
}

async function connect(url: string): Promise<Peer> {
  const ws = new WebSocket(url);
  const peer: Peer = { ws, got: [], hello: undefined, closed: new Promise((r) => ws.on('close', (code) => r(code))) };
  ws.on('message', (d) => {
    const v = JSON.parse(d.toString()) as { i?: number; hello?: string };
    if (v.hello !== undefined) peer.hello = v.hello;
    else peer.got.push({ i: v.i!, at: Date.now() });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return peer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}
const strip = (events: FaultEvent[]) => events.map(({ atMs: _t, ...rest }) => rest);

let upstream: Upstream | undefined;
let server: ReferenceServer | undefined;
const proxies: FaultProxy[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const p of proxies.splice(0)) await p.close();
  await upstream?.close();
  upstream = undefined;
  await server?.close();
  server = undefined;
});

async function proxied(rules: FaultRules, seed = 7): Promise<{ proxy: FaultProxy; peer: Peer }> {
  upstream ??= await startUpstream();
  const proxy = await startFaultProxy({ target: upstream.url, seed, rules });
  proxies.push(proxy);
  const peer = await connect(`${proxy.url}?token=secret-token-value&x=1`);
  sockets.push(peer.ws);
  return { proxy, peer };
}

/** Frame 0 to the client is the upstream's hello; burst frames are 1..n. */
const HELLO = 1;

describe('seeded random', () => {
  it('same seed, same stream; pointRandom is a pure function of its coordinates', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(50);
    expect(seededRandom(43).next()).not.toBe(seededRandom(42).next());
    expect(pointRandom(1, 2, 'drop')).toBe(pointRandom(1, 2, 'drop'));
    expect(pointRandom(1, 2, 'drop')).not.toBe(pointRandom(1, 3, 'drop'));
    const mean = Array.from({ length: 4000 }, (_, i) => pointRandom(9, i)).reduce((s, x) => s + x, 0) / 4000;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });
});

describe('fault proxy on real sockets', () => {
  it('forwards path and query upstream, plain HTTP too, and never logs the token', async () => {
    const { proxy, peer } = await proxied({ toClient: { dropRate: 0.2 } });
    await until(() => peer.hello !== undefined, 'hello');
    expect(peer.hello).toBe('/sync/socket/websocket?token=secret-token-value&x=1');
    const res = await fetch(`${proxy.httpUrl}/some/path?q=1`, { headers: { authorization: 'Bearer abc' } });
    expect(await res.json()).toEqual({ path: '/some/path?q=1', auth: 'Bearer abc' });
    peer.ws.send('burst 50 10');
    await until(() => proxy.stats().toClient.frames === 51, 'frames');
    expect(JSON.stringify(proxy.events())).not.toContain('secret-token-value');
    expect(proxy.via(`${upstream!.url}/sync/snapshot`)).toBe(`${proxy.httpUrl}/sync/snapshot`);
  });

  it('drops exactly the frames it logs as dropped', async () => {
    const { proxy, peer } = await proxied({ toClient: { dropRate: 0.3 } });
    peer.ws.send('burst 200 10');
    await until(() => proxy.stats().toClient.frames === 201, 'all frames seen');
    await sleep(50);
    const dropped = proxy.events().filter((e) => e.kind === 'drop').map((e) => e.frame! - HELLO);
    expect(dropped.length).toBeGreaterThan(30);
    expect(dropped.length).toBeLessThan(100);
    const expected = Array.from({ length: 200 }, (_, i) => i).filter((i) => !dropped.includes(i));
    expect(peer.got.map((g) => g.i)).toEqual(expected);
    expect(proxy.stats().toClient.dropped).toBe(dropped.length);
  });

  it('duplicates back to back, and only frames that match the filter', async () => {
    const { proxy, peer } = await proxied({ toClient: { duplicateRate: 0.5, match: (f) => f.text.includes('"i":') && (JSON.parse(f.text) as { i: number }).i % 2 === 0 } });
    peer.ws.send('burst 100 5');
    await until(() => peer.got.length === 100 + proxy.stats().toClient.duplicated && proxy.stats().toClient.frames === 101, 'delivered');
    const dup = proxy.events().filter((e) => e.kind === 'duplicate').map((e) => e.frame! - HELLO);
    expect(dup.length).toBeGreaterThan(10);
    expect(dup.every((i) => i % 2 === 0)).toBe(true);
    const expected: number[] = [];
    for (let i = 0; i < 100; i++) expected.push(...(dup.includes(i) ? [i, i] : [i]));
    expect(peer.got.map((g) => g.i)).toEqual(expected);
  });

  it('delays within [min, max] and keeps the order', async () => {
    const { proxy, peer } = await proxied({ toClient: { delayMs: [60, 90] } });
    const t0 = Date.now();
    peer.ws.send('burst 20 5');
    await until(() => peer.got.length === 20, 'delivered');
    expect(peer.got.map((g) => g.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peer.got[0]!.at - t0).toBeGreaterThanOrEqual(55);
    const delays = proxy.events().filter((e) => e.kind === 'delay' && e.frame! >= HELLO).map((e) => Number(e.detail!.replace('ms', '')));
    expect(delays).toHaveLength(20);
    expect(delays.every((d) => d >= 60 && d <= 90)).toBe(true);
  });

  it('reorders inside the window, keeping frames with the same key in order', async () => {
    const { proxy, peer } = await proxied({ toClient: { reorderWindow: 6, reorderKey: (f) => (f.text.includes('"i":') ? String((JSON.parse(f.text) as { i: number }).i % 3) : 'hello') } });
    peer.ws.send('burst 60 5');
    await until(() => peer.got.length === 60, 'delivered');
    const order = peer.got.map((g) => g.i);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(order).not.toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const k of [0, 1, 2]) {
      const lane = order.filter((i) => i % 3 === k);
      expect(lane).toEqual([...lane].sort((a, b) => a - b));
    }
    expect(proxy.stats().toClient.reordered).toBeGreaterThan(0);
  });

  it('reverse mode releases each full window backwards (a deliberate same-stream swap)', async () => {
    const { peer } = await proxied({ toClient: { match: (f) => f.text.includes('"i":'), reorderWindow: 3, reorderMode: 'reverse', reorderFlushMs: 1000 } });
    peer.ws.send('burst 9 5');
    await until(() => peer.got.length === 9, 'delivered');
    expect(peer.got.map((g) => g.i)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
  });

  it('cuts the connection at frame N: frames before it arrive, then 1006, upstream closed too', async () => {
    const { proxy, peer } = await proxied({ toClient: { cutAtFrame: 8, cutTimes: 1 } });
    peer.ws.send('burst 30 5');
    expect(await peer.closed).toBe(1006);
    expect(peer.got.map((g) => g.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await until(() => upstream!.closes.length === 1, 'upstream closed');
    expect(proxy.stats().cuts).toBe(1);
    expect(proxy.events().filter((e) => e.kind === 'cut')).toEqual([expect.objectContaining({ frame: 8, connection: 1, direction: 'to_client' })]);
    // cutTimes: 1 — the next connection is not cut.
    const second = await connect(proxy.url);
    sockets.push(second.ws);
    second.ws.send('burst 30 5');
    await until(() => second.got.length === 30, 'second connection untouched');
  });

  it('cuts client → server traffic too, and cutAll cuts every connection', async () => {
    const { proxy, peer } = await proxied({ toServer: { cutAtFrame: 2 } });
    peer.ws.send('one');
    peer.ws.send('two');
    peer.ws.send('three');
    expect(await peer.closed).toBe(1006);
    expect(upstream!.received).toEqual(['one', 'two']);
    proxy.setRules({});
    const a = await connect(proxy.url);
    const b = await connect(proxy.url);
    sockets.push(a.ws, b.ws);
    expect(proxy.cutAll()).toBe(2);
    expect(await a.closed).toBe(1006);
    expect(await b.closed).toBe(1006);
  });

  it('stall black-holes frames but keeps the socket open; lifting it lets traffic through', async () => {
    const { proxy, peer } = await proxied({ toClient: { stall: true } });
    peer.ws.send('burst 10 5');
    await until(() => proxy.stats().toClient.stalled === 11, 'stalled');
    await sleep(100);
    expect(peer.got).toHaveLength(0);
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    proxy.setRules({});
    peer.ws.send('burst 3 5');
    await until(() => peer.got.length === 3, 'flowing again');
  });

  it('throttles bandwidth', async () => {
    const { proxy, peer } = await proxied({ toClient: { bytesPerSecond: 20_000 } });
    const t0 = Date.now();
    peer.ws.send('burst 12 990'); // ~12 kB → ≥ ~0.55 s at 20 kB/s
    await until(() => peer.got.length === 12, 'delivered');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(proxy.stats().toClient.bytes).toBeGreaterThan(12_000);
  });

  it('same seed and traffic give the same fault log; another seed gives another', async () => {
    const rules: FaultRules = { toClient: { dropRate: 0.2, duplicateRate: 0.2, delayMs: [0, 3], reorderWindow: 4, reorderFlushMs: 5 } };
    const run = async (seed: number) => {
      const { proxy, peer } = await proxied(rules, seed);
      peer.ws.send('burst 80 5');
      await until(() => proxy.stats().toClient.frames === 81, 'seen');
      await sleep(60);
      peer.ws.terminate();
      return strip(proxy.events());
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a.length).toBeGreaterThan(20);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('injects HTTP statuses with Retry-After for `times` requests, then forwards', async () => {
    const { proxy } = await proxied({ http: [{ pathPrefix: '/sync/snapshot', status: 503, retryAfterSeconds: 2, times: 2 }] });
    const seen: string[] = [];
    const r1 = await fetch(`${proxy.httpUrl}/sync/snapshot/t?token=zzz`);
    expect(r1.status).toBe(503);
    expect(r1.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${proxy.httpUrl}/other`)).status).toBe(200);
    expect((await fetch(`${proxy.httpUrl}/sync/snapshot/t`)).status).toBe(503);
    expect((await fetch(`${proxy.httpUrl}/sync/snapshot/t`)).status).toBe(200);
    for (const e of proxy.events()) seen.push(e.detail ?? '');
    expect(seen).toEqual(['503 GET /sync/snapshot/t', '503 GET /sync/snapshot/t']);
    expect(JSON.stringify(proxy.events())).not.toContain('zzz');
  });

  it('relays upstream upgrade refusals and refuses upgrades itself', async () => {
    server = await startReferenceServer({ port: 0 });
    const proxy = await startFaultProxy({ target: server.url, rules: { refuseUpgrade: { status: 503, times: 1 } } });
    proxies.push(proxy);
    const status = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    const token = await server.mintToken();
    expect(await status(`${proxy.url}?token=${token}&vsn=2.0.0`)).toBe(503);
    expect(await status(`${proxy.url}?token=${token}&vsn=2.0.0`)).toBe(101);
    expect(await status(`${proxy.url}?token=bad&vsn=2.0.0`)).toBe(403);
    expect(proxy.stats().upgradesRefused).toBe(1);
    expect(proxy.stats().upgradeFailures).toBe(1);
    expect(JSON.stringify(proxy.events())).not.toContain(token);
  });

  it('a SyncClient converges through the proxy under in-contract faults (one copy of each doubled batch lost)', async () => {
    server = await startReferenceServer({ port: 0, maxBatchSize: 5 });
    for (let i = 0; i < 60; i++) server.publish('runtime.run_summaries', [{ docKey: `d${i % 7}`, payload: { i } }]);
    // Drop exactly one of the two copies of each batch (which one is drawn per batch), duplicate others.
    const proxy = await startFaultProxy({
      target: server.url,
      seed: 5,
      rules: {
        toClient: {
          match: (f) => f.batch !== undefined && (pointRandom(5, f.batch.seq) < 0.5) === (f.event === 'sync:frame'),
          dropRate: 1,
        },
      },
    });
    proxies.push(proxy);
    const client = new SyncClient({ url: proxy.url, token: { url: proxy.via(server.tokenUrl) }, topics: ['runtime.run_summaries'], reconnectDelay: () => 20 });
    const applied: number[] = [];
    client.on('updates', (b) => applied.push(...b.updates.map((u) => u.watermark)));
    await client.connect();
    await until(() => client.getWatermark('runtime.run_summaries') === 60 && client.status === 'live', 'caught up');
    for (let i = 0; i < 20; i++) server.publish('runtime.run_summaries', [{ docKey: `d${i % 7}`, payload: { live: i } }]);
    await until(() => client.getWatermark('runtime.run_summaries') === 80, 'live');
    expect(applied).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(proxy.stats().toClient.dropped).toBeGreaterThanOrEqual(12 + 4);
    await client.close();
  });
});
