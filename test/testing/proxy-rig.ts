import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ReferenceServer } from '../../src/server/index.js';
import { startFaultProxy, type FaultEvent, type FaultProxy, type FaultRules } from '../../src/testing.js';

// Shared by the fault-proxy tests: a scripted upstream, a peer that records what reaches it, and
// the per-test cleanup of everything a test starts.

/** A scripted upstream: `burst <n> <pad>` pushes n numbered frames; everything received is kept. */
export interface Upstream {
  url: string;
  received: string[];
  closes: number[];
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
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

export interface Peer {
  ws: WebSocket;
  got: Array<{ i: number; at: number }>;
  hello: string | undefined;
  closed: Promise<number>;
}

export async function connect(url: string): Promise<Peer> {
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function until(ok: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}
export const strip = (events: FaultEvent[]) => events.map(({ atMs: _t, ...rest }) => rest);

/** Frame 0 to the client is the upstream's hello; burst frames are 1..n. */
export const HELLO = 1;

/** What one test started; closed after it by the `afterEach` {@link proxyRig} registers. */
export interface ProxyRig {
  upstream: Upstream | undefined;
  server: ReferenceServer | undefined;
  readonly proxies: FaultProxy[];
  readonly sockets: WebSocket[];
  /** A proxy with `rules` in front of the scripted upstream, and a peer connected through it. */
  proxied(rules: FaultRules, seed?: number): Promise<{ proxy: FaultProxy; peer: Peer }>;
}

/** Register the cleanup of a test file's fault-proxy tests; returns what its tests fill in. */
export function proxyRig(): ProxyRig {
  const rig: ProxyRig = {
    upstream: undefined,
    server: undefined,
    proxies: [],
    sockets: [],
    async proxied(rules, seed = 7) {
      rig.upstream ??= await startUpstream();
      const proxy = await startFaultProxy({ target: rig.upstream.url, seed, rules });
      rig.proxies.push(proxy);
      const peer = await connect(`${proxy.url}?token=secret-token-value&x=1`);
      rig.sockets.push(peer.ws);
      return { proxy, peer };
    },
  };
  afterEach(async () => {
    for (const s of rig.sockets.splice(0)) s.terminate();
    for (const p of rig.proxies.splice(0)) await p.close();
    await rig.upstream?.close();
    rig.upstream = undefined;
    await rig.server?.close();
    rig.server = undefined;
  });
  return rig;
}
