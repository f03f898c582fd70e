import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startReferenceServer } from '../../src/server/index.js';
import { startFaultProxy } from '../../src/testing.js';
import { proxyRig } from './proxy-rig.js';

const rig = proxyRig();

describe('fault proxy on plain HTTP and upgrades', () => {
  it('injects HTTP statuses with Retry-After for `times` requests, then forwards', async () => {
    const { proxy } = await rig.proxied({ http: [{ pathPrefix: '/sync/snapshot', status: 503, retryAfterSeconds: 2, times: 2 }] });
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
    const server = (rig.server = await startReferenceServer({ port: 0 }));
    const proxy = await startFaultProxy({ target: server.url, rules: { refuseUpgrade: { status: 503, times: 1 } } });
    rig.proxies.push(proxy);
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
});
