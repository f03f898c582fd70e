import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Direction, FaultEvent, FaultRules, HttpRequestInfo } from './fault-rules.js';
import { requestInfo, validateRules } from './fault-rules.js';
import { emptyDirectionStats, type DirectionStats } from './frame-pipe.js';
import { httpFaultHandler, type HttpStats } from './http-faults.js';
import { linkSockets, type LinkContext, type ProxyLink } from './proxy-link.js';
import { toSeed } from './seeded-random.js';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Upstream: an `http(s)://` or `ws(s)://` base (`http://127.0.0.1:4100`) or a full socket URL. */
  target: string;
  /** Listen port. Default `0` (ephemeral). */
  port?: number;
  /** Listen address. Default `'127.0.0.1'`. */
  host?: string;
  /** Seed of every fault draw. Default `0`. */
  seed?: number;
  /** Initial rules. Default none (a transparent proxy). */
  rules?: FaultRules;
  /** Called for every plain HTTP request, before rules apply (credentials are never passed). Default none. */
  onRequest?: (req: HttpRequestInfo) => void;
  /** Called for every fault applied, as it is applied. Default none (`events()` keeps them). */
  onFault?: (event: FaultEvent) => void;
  /** Events kept by `events()`; later ones are counted but not kept. Default 50 000. */
  maxEvents?: number;
}

/** Counters of {@link FaultProxy.stats}. */
export interface FaultProxyStats {
  /** WebSocket connections established through the proxy. */
  connections: number;
  /** WebSocket connections open now. */
  openConnections: number;
  /** Connections cut by `cutAtFrame` or `cutAll()`. */
  cuts: number;
  /** Upgrades refused by the `refuseUpgrade` rule. */
  upgradesRefused: number;
  /** Upgrades the upstream refused (status relayed) or could not be reached for (502). */
  upgradeFailures: number;
  /** Plain HTTP: requests seen, answered by a rule, forwarded, failed upstream, and answers by status. */
  http: HttpStats;
  /** Frame counters from the server to the client. */
  toClient: DirectionStats;
  /** Frame counters from the client to the server. */
  toServer: DirectionStats;
  /** Faults applied (also those past `maxEvents`). */
  faults: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** WebSocket URL to give the client: the proxy's origin plus the target's path and query. */
  readonly url: string;
  /** `http://host:port` of the proxy: plain HTTP is forwarded to the target's origin. */
  readonly httpUrl: string;
  /** The port the proxy listens on. */
  readonly port: number;
  /** The seed of every fault draw: the same seed and rules give the same faults. */
  readonly seed: number;
  /** Rewrite an upstream URL (same origin as the target) to go through the proxy. */
  via(upstreamUrl: string): string;
  /** Replace every rule; frames held for reordering are released first. Counters (`cutTimes`, `times`) restart. */
  setRules(rules: FaultRules): void;
  /** Cut every open connection at once (no close frame). Returns how many were cut. */
  cutAll(): number;
  /** Counters so far. */
  stats(): FaultProxyStats;
  /** Every fault applied so far, in order (up to `maxEvents`). */
  events(): FaultEvent[];
  /** Stop listening and terminate every connection. */
  close(): Promise<void>;
}

const WS_SCHEME: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };
const HTTP_SCHEME: Record<string, string> = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' };
const DEFAULT_SOCKET_PATH = '/sync/socket/websocket';
const MAX_PAYLOAD = 256 * 1024 * 1024;

function answerUpgrade(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n${extra}Content-Length: 0\r\n\r\n`);
}

/**
 * Start a fault-injecting TCP/WebSocket proxy on loopback (`khala-sync/testing`). Each client
 * upgrade opens its own upstream WebSocket with the same path and query (the token travels through
 * and is never logged); frames in both directions pass through seeded fault rules. Plain HTTP
 * (token, snapshot, hydration endpoints) is forwarded too, with its own rules.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const wsScheme = WS_SCHEME[target.protocol];
  const httpScheme = HTTP_SCHEME[target.protocol];
  if (!wsScheme || !httpScheme) throw new RangeError('fault proxy target must be an http(s) or ws(s) URL');
  const seed = toSeed(options.seed ?? 0);
  const maxEvents = options.maxEvents ?? 50_000;
  let rules: FaultRules = {};
  const setRulesInternal = (next: FaultRules): void => {
    validateRules(next);
    rules = { ...next, http: next.http?.map((r) => ({ ...r })), refuseUpgrade: next.refuseUpgrade ? { ...next.refuseUpgrade } : undefined };
    cutBudget = { to_client: next.toClient?.cutTimes ?? Infinity, to_server: next.toServer?.cutTimes ?? Infinity };
  };
  let cutBudget: Record<Direction, number> = { to_client: Infinity, to_server: Infinity };
  setRulesInternal(options.rules ?? {});

  const started = Date.now();
  const log: FaultEvent[] = [];
  const stats: FaultProxyStats = {
    connections: 0, openConnections: 0, cuts: 0, upgradesRefused: 0, upgradeFailures: 0,
    http: { requests: 0, injected: 0, forwarded: 0, failed: 0, statuses: {} }, toClient: emptyDirectionStats(), toServer: emptyDirectionStats(), faults: 0,
  };
  const record = (e: Omit<FaultEvent, 'n' | 'atMs'>): void => {
    const event: FaultEvent = { n: stats.faults, atMs: Date.now() - started, ...e };
    stats.faults += 1;
    if (log.length < maxEvents) log.push(event);
    options.onFault?.(event);
  };
  const links = new Set<ProxyLink>();
  let ordinal = 0;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD,
    handleProtocols: (_protocols, req) => selected.get(req) ?? false,
  });
  const selected = new WeakMap<IncomingMessage, string>();

  const ctx: LinkContext = {
    seed,
    links,
    stats,
    rules: (d) => (d === 'to_client' ? rules.toClient : rules.toServer),
    tryCut: (d) => {
      if (cutBudget[d] <= 0) return false;
      cutBudget[d] -= 1;
      return true;
    },
    record,
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const refuse = rules.refuseUpgrade;
    if (refuse && (refuse.times === undefined || refuse.times > 0)) {
      if (refuse.times !== undefined) refuse.times -= 1;
      stats.upgradesRefused += 1;
      record({ kind: 'refuse_upgrade', detail: `${refuse.status} ${requestInfo('GET', req.url ?? '/').path}` });
      return answerUpgrade(socket, refuse.status);
    }
    const protocolHeader = req.headers['sec-websocket-protocol'];
    const protocols = protocolHeader ? protocolHeader.split(',').map((p) => p.trim()).filter(Boolean) : undefined;
    const upstream = new WebSocket(`${wsScheme}//${target.host}${req.url ?? '/'}`, protocols, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
    let opened = false;
    let settled = false;
    // The upstream's 101 echo (`undefined`: none), seen before `ws` validates it against the offer.
    let echoed: { protocol: string | undefined } | undefined;
    upstream.on('upgrade', (res) => {
      const p = res.headers['sec-websocket-protocol'];
      echoed = { protocol: typeof p === 'string' ? p : undefined };
    });
    const abandon = (): void => {
      if (!opened) upstream.terminate();
    };
    socket.once('close', abandon);
    upstream.on('unexpected-response', (_r, res) => {
      settled = true;
      stats.upgradeFailures += 1;
      const status = res.statusCode ?? 502;
      const retryAfter = res.headers['retry-after'];
      res.resume();
      upstream.terminate();
      answerUpgrade(socket, status, typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {});
    });
    upstream.on('error', () => {
      if (opened || settled) return;
      settled = true;
      stats.upgradeFailures += 1;
      if (echoed === undefined || socket.destroyed) return answerUpgrade(socket, 502);
      // The upstream accepted the upgrade but echoed a subprotocol the offer did not allow (or none):
      // relay that same echo so the client judges it as it would directly (e.g. subprotocol_mismatch),
      // instead of seeing a 502 and retrying. There is no upstream left to link, so close right after.
      if (echoed.protocol !== undefined) selected.set(req, echoed.protocol);
      wss.handleUpgrade(req, socket, head, (client) => client.close(1002, 'upstream subprotocol rejected'));
    });
    upstream.on('open', () => {
      opened = true;
      socket.off('close', abandon);
      if (socket.destroyed) return upstream.terminate();
      if (upstream.protocol) selected.set(req, upstream.protocol);
      // Messages that arrive before the client side is wired wait in the socket's buffer: `ws`
      // emits them only after this tick, and handleUpgrade completes synchronously here.
      wss.handleUpgrade(req, socket, head, (client) => linkSockets(ctx, client, upstream, ++ordinal));
    });
  };

  const onRequest = httpFaultHandler({
    target,
    httpScheme,
    rules: () => rules.http ?? [],
    stats: stats.http,
    record,
    observe: options.onRequest,
  });

  const server: Server = createServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const targetPath = target.pathname === '' || target.pathname === '/' ? DEFAULT_SOCKET_PATH : target.pathname;
  const httpUrl = `http://${hostForUrl}:${port}`;

  return {
    url: `ws://${hostForUrl}:${port}${targetPath}${target.search}`,
    httpUrl,
    port,
    seed,
    via(upstreamUrl) {
      const u = new URL(upstreamUrl);
      if (u.host !== target.host) throw new RangeError('via(): the URL is not on the proxy target');
      const scheme = u.protocol === 'ws:' || u.protocol === 'wss:' ? 'ws:' : 'http:';
      return `${scheme}//${hostForUrl}:${port}${u.pathname}${u.search}`;
    },
    setRules(next) {
      setRulesInternal(next);
      for (const l of links) {
        l.pipes.to_client.flushHeld();
        l.pipes.to_server.flushHeld();
      }
    },
    cutAll() {
      const all = [...links];
      for (const l of all) {
        record({ kind: 'cut', connection: l.connection, frame: -1, detail: 'cutAll' });
        l.cut();
      }
      return all.length;
    },
    stats: () => structuredClone(stats),
    events: () => log.map((e) => ({ ...e })),
    async close() {
      for (const l of [...links]) {
        links.delete(l);
        l.pipes.to_client.kill();
        l.pipes.to_server.kill();
        l.client.terminate();
        l.upstream.terminate();
      }
      stats.openConnections = 0;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      wss.close();
    },
  };
}
