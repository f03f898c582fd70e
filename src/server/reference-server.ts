import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TokenAuthority, randomHex } from './auth.js';
import { readClientCompatibility } from './compatibility.js';
import { createFaults, initialFaultState } from './faults.js';
import { HTTP_PATHS, createRequestHandler } from './http-routes.js';
import { Journal } from './journal.js';
import { DEFAULT_COMPATIBILITY, SERVER_DEFAULTS, resolveOptions } from './options.js';
import type { ReferenceServerOptions } from './options.js';
import { makeSender } from './server-context.js';
import type { ServerContext } from './server-context.js';
import { SnapshotStore } from './snapshot-store.js';
import { SocketConnection, reauthRequiredPayload } from './socket-connection.js';
import { TopicCatalog } from './topic-catalog.js';
import type { JournalEntry, PublishInput, ReferenceServer, ServerStats } from './types.js';

/** Grace given to clients to answer a 1012 close before their sockets are cut. */
const RESTART_CLOSE_GRACE_MS = 1000;

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** One listening HTTP server and every raw socket it accepted (upgraded WebSockets included). */
interface Listener {
  server: Server;
  sockets: Set<Duplex>;
  /** Set once shutdown began: upgrades still verifying their token are dropped, not completed. */
  closing: boolean;
}

/**
 * Stop accepting first, then run `disconnect` (the 1012 close handshakes), then destroy whatever
 * sockets are left. `server.close()` waits for upgraded sockets too, so a client that reconnected
 * during the close grace period used to keep the old listener alive and the restart hanging.
 */
async function shutdown(listener: Listener, disconnect: () => Promise<void>): Promise<void> {
  listener.closing = true;
  const closed = new Promise<void>((resolve) => listener.server.close(() => resolve()));
  listener.server.closeAllConnections();
  await disconnect();
  for (const socket of listener.sockets) socket.destroy();
  await closed;
}

/** Answer an upgrade with a bare HTTP status: Phoenix sends 403 with no body on a bad token (§1.1). */
function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Start the K1/Phoenix reference server: one HTTP server carrying the WebSocket upgrade and the HTTP
 * endpoints. Resolves once listening.
 */
export async function startReferenceServer(options?: ReferenceServerOptions): Promise<ReferenceServer> {
  const opts = resolveOptions(options);
  const catalog = new TopicCatalog(opts.topics);
  const journal = new Journal(catalog);
  const stats: ServerStats = {
    connections: 0, openConnections: 0, joins: 0, subscribes: 0, framesOut: 0, staleCursors: 0, slowConsumerEvictions: 0, upgradesRefused: 0,
  };
  const faultState = initialFaultState();
  const ctx: ServerContext = {
    options: opts,
    catalog,
    journal,
    auth: new TokenAuthority(opts, () => catalog.topics),
    stats,
    faults: faultState,
    revoked: new Map(),
    compatibility: { ...opts.compatibility },
    send: makeSender(stats, faultState),
  };
  const connections = new Set<SocketConnection>();
  const snapshots = new SnapshotStore(journal);
  const wss = new WebSocketServer({ noServer: true, maxPayload: SERVER_DEFAULTS.maxInboundBytes });

  const publish = (topic: string, inputs: PublishInput[]): JournalEntry[] => {
    const entries = journal.topic(topic).append(inputs);
    for (const c of connections) c.channel?.notify(topic);
    return entries;
  };

  const onUpgrade = (listener: Listener, req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, why: string): void => {
      stats.upgradesRefused += 1;
      opts.log(`upgrade refused with ${status}: ${why}`);
      refuseUpgrade(socket, status);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== opts.socketPath) return refuse(404, 'unknown path');
    if (faultState.refuseUpgradeStatus !== null) return refuse(faultState.refuseUpgradeStatus, 'injected');
    // Phoenix picks the serializer before calling connect, so a bad vsn fails before the token check.
    if (url.searchParams.get('vsn') !== '2.0.0') return refuse(400, 'vsn must be 2.0.0');
    void ctx.auth.verify(url.searchParams.get('token')).then((result) => {
      if (!result.ok) return refuse(403, `token ${result.reason}`);
      if (socket.destroyed) return;
      if (listener.closing) return void socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => {
        stats.connections += 1;
        stats.openConnections += 1;
        const compatibility = readClientCompatibility(url.searchParams, result.token.claims);
        const connection = new SocketConnection(ctx, ws, result.token, compatibility, (closed) => {
          if (connections.delete(closed)) stats.openConnections -= 1;
        });
        connections.add(connection);
        opts.log(`socket accepted for session ${result.token.sessionId}`);
      });
    });
  };

  const handler = createRequestHandler({ ctx, snapshots, publish, httpSessionId: `sess_${randomHex(8)}` });
  const newListener = (): Listener => {
    const listener: Listener = { server: createServer(handler), sockets: new Set(), closing: false };
    listener.server.on('connection', (socket) => {
      listener.sockets.add(socket);
      socket.once('close', () => listener.sockets.delete(socket));
    });
    listener.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(listener, req, socket, head));
    listener.server.on('clientError', (_err, socket) => socket.destroy());
    return listener;
  };
  let current = newListener();
  const port = await listen(current.server, opts.port, opts.host);
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const httpUrl = `http://${hostForUrl}:${port}`;
  let listening = true;

  // restart() and close() run one after another: two overlapping ones would both shut the same
  // listener down and each open a new one, orphaning one (still listening after close) or failing
  // with EADDRINUSE.
  let lifecycle: Promise<void> = Promise.resolve();
  const serially = (step: () => Promise<void>): Promise<void> => {
    const run = lifecycle.then(step);
    lifecycle = run.catch(() => undefined);
    return run;
  };

  const disconnectAll = async (graceful: boolean): Promise<void> => {
    const all = [...connections];
    for (const c of all) c.endChannel('silent');
    if (!graceful) {
      for (const c of all) c.ws.terminate();
      return;
    }
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === c.ws.CLOSED) return resolve();
            const timer = setTimeout(() => c.ws.terminate(), RESTART_CLOSE_GRACE_MS);
            c.ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            // 1012 "service restart": clients should reconnect.
            c.ws.close(1012, 'service restart');
          }),
      ),
    );
  };

  const server: ReferenceServer = {
    port,
    url: `ws://${hostForUrl}:${port}${opts.socketPath}`,
    httpUrl,
    snapshotUrl: `${httpUrl}${HTTP_PATHS.snapshot}`,
    hydrateUrl: `${httpUrl}${HTTP_PATHS.documents}`,
    tokenUrl: `${httpUrl}${HTTP_PATHS.token}`,
    publishUrl: `${httpUrl}${HTTP_PATHS.publish}`,
    publish,
    head: (topic) => journal.topic(topic).allocatedHead,
    oldest: (topic) => journal.topic(topic).oldest,
    journal: (topic) => journal.topic(topic).list(),
    documents: (topic) => journal.topic(topic).documents(),
    prune: (topic, keepAfter) => journal.topic(topic).prune(keepAfter),
    burnWatermarks: (topic, n) => journal.topic(topic).burn(n),
    mintToken: async (claims) => (await ctx.auth.mint(claims)).token,
    revokeSession(sessionId, reason = 'session_revoked') {
      ctx.revoked.set(sessionId, reason);
      for (const c of [...connections]) {
        const channel = c.channel;
        if (!channel || c.token.sessionId !== sessionId) continue;
        // §8.5: reauth_required push (frame topic `sync.auth`), then the channel dies with phx_error.
        channel.pushError('sync.auth', reauthRequiredPayload(reason));
        channel.end('phx_error');
      }
    },
    setCompatibility(window) {
      ctx.compatibility = { ...(window ?? DEFAULT_COMPATIBILITY) };
    },
    faults: createFaults(faultState, { connections: () => connections, snapshots, send: ctx.send }),
    stats: () => ({ ...stats }),
    restart: () =>
      serially(async () => {
        if (!listening) throw new Error('reference server is closed');
        await shutdown(current, () => disconnectAll(true));
        current = newListener();
        await listen(current.server, port, opts.host);
      }),
    close: () =>
      serially(async () => {
        if (!listening) return;
        listening = false;
        await shutdown(current, () => disconnectAll(false));
        wss.close();
      }),
  };
  return server;
}
