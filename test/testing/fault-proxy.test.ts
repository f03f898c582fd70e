import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { FaultRules } from '../../src/testing.js';
import { connect, HELLO, proxyRig, sleep, strip, until } from './proxy-rig.js';

const rig = proxyRig();

describe('fault proxy on real sockets', () => {
  it('forwards path and query upstream, plain HTTP too, and never logs the token', async () => {
    const { proxy, peer } = await rig.proxied({ toClient: { dropRate: 0.2 } });
    await until(() => peer.hello !== undefined, 'hello');
    expect(peer.hello).toBe('/sync/socket/websocket?token=secret-token-value&x=1');
    const res = await fetch(`${proxy.httpUrl}/some/path?q=1`, { headers: { authorization: 'Bearer abc' } });
    expect(await res.json()).toEqual({ path: '/some/path?q=1', auth: 'Bearer abc' });
    peer.ws.send('burst 50 10');
    await until(() => proxy.stats().toClient.frames === 51, 'frames');
    expect(JSON.stringify(proxy.events())).not.toContain('secret-token-value');
    expect(proxy.via(`${rig.upstream!.url}/sync/snapshot`)).toBe(`${proxy.httpUrl}/sync/snapshot`);
  });

  it('drops exactly the frames it logs as dropped', async () => {
    const { proxy, peer } = await rig.proxied({ toClient: { dropRate: 0.3 } });
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
    const { proxy, peer } = await rig.proxied({ toClient: { duplicateRate: 0.5, match: (f) => f.text.includes('"i":') && (JSON.parse(f.text) as { i: number }).i % 2 === 0 } });
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
    const { proxy, peer } = await rig.proxied({ toClient: { delayMs: [60, 90] } });
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
    const { proxy, peer } = await rig.proxied({ toClient: { reorderWindow: 6, reorderKey: (f) => (f.text.includes('"i":') ? String((JSON.parse(f.text) as { i: number }).i % 3) : 'hello') } });
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
    const { peer } = await rig.proxied({ toClient: { match: (f) => f.text.includes('"i":'), reorderWindow: 3, reorderMode: 'reverse', reorderFlushMs: 1000 } });
    peer.ws.send('burst 9 5');
    await until(() => peer.got.length === 9, 'delivered');
    expect(peer.got.map((g) => g.i)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
  });

  it('cuts the connection at frame N: frames before it arrive, then 1006, upstream closed too', async () => {
    const { proxy, peer } = await rig.proxied({ toClient: { cutAtFrame: 8, cutTimes: 1 } });
    peer.ws.send('burst 30 5');
    expect(await peer.closed).toBe(1006);
    expect(peer.got.map((g) => g.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await until(() => rig.upstream!.closes.length === 1, 'upstream closed');
    expect(proxy.stats().cuts).toBe(1);
    expect(proxy.events().filter((e) => e.kind === 'cut')).toEqual([expect.objectContaining({ frame: 8, connection: 1, direction: 'to_client' })]);
    // cutTimes: 1 — the next connection is not cut.
    const second = await connect(proxy.url);
    rig.sockets.push(second.ws);
    second.ws.send('burst 30 5');
    await until(() => second.got.length === 30, 'second connection untouched');
  });

  it('cuts client → server traffic too, and cutAll cuts every connection', async () => {
    const { proxy, peer } = await rig.proxied({ toServer: { cutAtFrame: 2 } });
    peer.ws.send('one');
    peer.ws.send('two');
    peer.ws.send('three');
    expect(await peer.closed).toBe(1006);
    expect(rig.upstream!.received).toEqual(['one', 'two']);
    proxy.setRules({});
    const a = await connect(proxy.url);
    const b = await connect(proxy.url);
    rig.sockets.push(a.ws, b.ws);
    expect(proxy.cutAll()).toBe(2);
    expect(await a.closed).toBe(1006);
    expect(await b.closed).toBe(1006);
  });

  it('stall black-holes frames but keeps the socket open; lifting it lets traffic through', async () => {
    const { proxy, peer } = await rig.proxied({ toClient: { stall: true } });
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
    const { proxy, peer } = await rig.proxied({ toClient: { bytesPerSecond: 20_000 } });
    const t0 = Date.now();
    peer.ws.send('burst 12 990'); // ~12 kB → ≥ ~0.55 s at 20 kB/s
    await until(() => peer.got.length === 12, 'delivered');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(proxy.stats().toClient.bytes).toBeGreaterThan(12_000);
  });

  it('same seed and traffic give the same fault log; another seed gives another', async () => {
    const rules: FaultRules = { toClient: { dropRate: 0.2, duplicateRate: 0.2, delayMs: [0, 3], reorderWindow: 4, reorderFlushMs: 5 } };
    const run = async (seed: number) => {
      const { proxy, peer } = await rig.proxied(rules, seed);
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
});
