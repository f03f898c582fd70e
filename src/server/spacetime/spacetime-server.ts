import { randomBytes } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { randomHex } from '../auth.js';
import { CheckpointTable } from './checkpoint-reducer.js';
import { EventTable, headRow, rowMap, type AppendInput, type RowMap, type SyncEventRecord } from './event-table.js';
import { SPACETIME_HTTP_PATHS, createHttpHandler } from './http-endpoints.js';
import { identityToken, subscriptionError } from './server-frames.js';
import { SpacetimeSocketSession, type TxChanges } from './socket-session.js';
import { tokenLifetime, tokenUnexpired } from './token-ledger.js';
import type { SpacetimeFaults, SpacetimeServer, SpacetimeServerOptions, SpacetimeServerStats } from './types.js';

/** Defaults of {@link startSpacetimeServer}. */
export const SPACETIME_SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  database: 'autopilot-sync',
  protocols: Object.freeze(['v1.bsatn.spacetimedb', 'v1.json.spacetimedb']),
  pingIntervalMs: 15_000,
  /** The real server's inbound limit (32 MiB). */
  maxInboundBytes: 0x2000000,
});

function refuseUpgrade(socket: Duplex, status: number, body = ''): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** The offered `Sec-WebSocket-Protocol` names. */
function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',').map((p) => p.trim()).filter((p) => p !== '') : [];
}

/** A random u128 as decimal digits, above 2^53 so that clients must keep it lossless. */
function randomU128(): string {
  return (BigInt(`0x${randomBytes(16).toString('hex')}`) | (1n << 100n)).toString(10);
}

/**
 * Start a reference SpacetimeDB-v1-JSON server for the `sync_event` module (SPACETIME_PROTOCOL §1,
 * §2.1): real `ws` + `node:http` on loopback, subprotocol negotiation walking the server's own list
 * (HTTP 400 `no valid protocol selected` without overlap), `IdentityToken` first, Subscribe /
 * SubscribeSingle / SubscribeMulti / Unsubscribe(Multi) / OneOffQuery over a SQL subset, initial
 * rows in object form and transaction deltas in positional form, a retention floor per stream, WS
 * pings, and its own snapshot and token endpoints. See docs/spacetime-lane.md.
 */
export async function startSpacetimeServer(options: SpacetimeServerOptions = {}): Promise<SpacetimeServer> {
  const host = options.host ?? SPACETIME_SERVER_DEFAULTS.host;
  const database = options.database ?? SPACETIME_SERVER_DEFAULTS.database;
  const protocols = options.protocols ?? [...SPACETIME_SERVER_DEFAULTS.protocols];
  const verifyToken = options.verifyToken ?? (() => true);
  const log = options.log ?? (() => undefined);
  const table = new EventTable();
  const stats: SpacetimeServerStats = { connections: 0, openConnections: 0, framesOut: 0, upgradesRefused: 0, tokensMinted: 0, sessionsRefused: 0 };
  const checkpoints = new CheckpointTable();
  const sessions = new Set<SpacetimeSocketSession>();
  const state = {
    refuseStatus: null as number | null,
    echo: undefined as string | null | undefined,
    stalled: false,
    rowForm: 'array' as 'array' | 'object',
    subscribeFailures: [] as string[],
    snapshotFaults: [] as number[],
    tokenFaults: [] as number[],
    oneOffDrops: 0,
    refusal: undefined as { code: number; reason: string; left: number } | undefined,
    lostStreams: new Set<string>(),
  };
  const send = (ws: WebSocket, text: string): void => {
    if (state.stalled || ws.readyState !== ws.OPEN) return;
    stats.framesOut++;
    ws.send(text);
  };
  const ctx = {
    table,
    send,
    deltaRowForm: () => state.rowForm,
    takeSubscribeFailure: () => state.subscribeFailures.shift(),
    takeOneOffDrop: () => state.oneOffDrops > 0 && state.oneOffDrops-- > 0,
    checkpoints,
    log,
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: SPACETIME_SERVER_DEFAULTS.maxInboundBytes,
    // The choice was made (and checked) in onUpgrade; a fault may override what is echoed.
    handleProtocols: (offered: Set<string>) => {
      if (state.echo !== undefined) return state.echo ?? false;
      return protocols.find((p) => offered.has(p)) ?? false;
    },
  });

  const commit = (tx: TxChanges): void => {
    for (const s of sessions) s.transaction(tx);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, why: string, body = ''): void => {
      stats.upgradesRefused++;
      log(`upgrade refused with ${status}: ${why}`);
      refuseUpgrade(socket, status, body);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/v1\/database\/([^/]+)\/subscribe$/.exec(url.pathname);
    if (m === null) return refuse(404, 'unknown path');
    if (decodeURIComponent(m[1]!) !== database) return refuse(404, 'unknown database');
    if (state.refuseStatus !== null) return refuse(state.refuseStatus, 'injected');
    const offered = offeredProtocols(req);
    if (!protocols.some((p) => offered.includes(p))) return refuse(400, 'no overlapping subprotocol', 'no valid protocol selected');
    const auth = req.headers.authorization;
    const token = (typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined) ?? url.searchParams.get('token') ?? undefined;
    // Expiry is checked here only, as SpacetimeDB does: an open socket outlives its token (§5 rule 10).
    if (!verifyToken(token) || !tokenUnexpired(token)) return refuse(401, 'token refused');
    wss.handleUpgrade(req, socket, head, (ws) => {
      stats.connections++;
      stats.openConnections++;
      const connectionId = randomU128();
      const session = new SpacetimeSocketSession(ctx, ws, connectionId, url.searchParams.get('light') === 'true');
      sessions.add(session);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1011, 'binary frames are not v1 JSON');
        session.receive(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
      });
      ws.on('close', () => {
        if (sessions.delete(session)) stats.openConnections--;
      });
      ws.on('error', () => ws.terminate());
      // The credential in use: the one presented, or a fresh anonymous one.
      send(ws, identityToken(`0x${randomHex(32).replace(/^0+/, '')}`, token ?? `anon_${randomHex(16)}`, connectionId));
      const refusal = state.refusal;
      if (refusal !== undefined && refusal.left > 0) {
        // Scripted refusal: the module turns the session away right after the handshake, as when
        // `client_connected` fails or the module exits (§1.2), before any subscription is applied.
        if (--refusal.left === 0) state.refusal = undefined;
        stats.sessionsRefused++;
        ws.close(refusal.code, refusal.reason);
      }
    });
  };

  const http: Server = createServer(
    createHttpHandler({
      table,
      verifyToken,
      takeSnapshotFault: () => state.snapshotFaults.shift(),
      tokenLifetime: tokenLifetime(options.tokenTtlSeconds, options.tokenRefreshAfterSeconds),
      takeTokenFault: () => state.tokenFaults.shift(),
      minted: () => void stats.tokensMinted++,
    }),
  );
  http.on('upgrade', onUpgrade);
  http.on('clientError', (_err, socket) => socket.destroy());
  const port = await new Promise<number>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve((http.address() as AddressInfo).port));
  });
  const pinger = setInterval(() => {
    for (const s of sessions) if (s.ws.readyState === s.ws.OPEN) s.ws.ping();
  }, options.pingIntervalMs ?? SPACETIME_SERVER_DEFAULTS.pingIntervalMs);
  pinger.unref();

  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const httpUrl = `http://${hostForUrl}:${port}`;

  const prune = (stream: string, keepAfter: number, tx: TxChanges): void => {
    const removed = table.stream(stream).prune(keepAfter);
    if (removed.length > 0) tx.deletes.set('sync_event', [...(tx.deletes.get('sync_event') ?? []), ...removed.map(rowMap)]);
  };

  const faults: SpacetimeFaults = {
    refuseUpgrades: (status) => void (state.refuseStatus = status),
    echoProtocol: (p) => void (state.echo = p),
    dropConnections: () => [...sessions].forEach((s) => s.ws.terminate()),
    closeAll: (code, reason) => [...sessions].forEach((s) => s.ws.close(code, reason)),
    pushRaw: (text) => sessions.forEach((s) => send(s.ws, text)),
    subscriptionErrorAll: (error = 'evaluation failed, executing: `SELECT * FROM sync_event`') =>
      sessions.forEach((s) => {
        s.dropAll();
        send(s.ws, subscriptionError(undefined, undefined, error));
      }),
    failSubscribes: (error, times = 1) => state.subscribeFailures.push(...Array.from({ length: times }, () => error)),
    stall: (on) => void (state.stalled = on),
    deltaRowForm: (form) => void (state.rowForm = form),
    snapshotStatus: (status, times = 1) => void (state.snapshotFaults = status === null ? [] : Array.from({ length: times }, () => status)),
    tokenStatus: (status, times = 1) => void (state.tokenFaults = status === null ? [] : Array.from({ length: times }, () => status)),
    dropOneOffs: (times) => void (state.oneOffDrops = times),
    refuseSessions: (close, times = Number.POSITIVE_INFINITY) => void (state.refusal = close === null ? undefined : { ...close, left: times }),
    loseDeltas: (stream, on) => void (on ? state.lostStreams.add(stream) : state.lostStreams.delete(stream)),
    reducerFaults: (...list) => void checkpoints.faults.push(...list),
  };

  return {
    port,
    url: `ws://${hostForUrl}:${port}/v1/database/${encodeURIComponent(database)}/subscribe`,
    httpUrl,
    snapshotUrl: `${httpUrl}${SPACETIME_HTTP_PATHS.snapshot}`,
    tokenUrl: `${httpUrl}${SPACETIME_HTTP_PATHS.token}`,
    database,
    publish(stream: string, inputs: AppendInput[]): SyncEventRecord[] {
      const journal = table.stream(stream);
      const before = journal.head;
      const now = Date.now();
      const inserted = journal.append(inputs, now);
      const tx: TxChanges = { inserts: new Map(), deletes: new Map() };
      if (inserted.length > 0) {
        tx.inserts.set('sync_event', inserted.map(rowMap));
        // stream_head is upserted in the same transaction: a delete of the old row plus an insert.
        const heads: RowMap[] = [headRow(stream, journal.head, now)];
        tx.inserts.set('stream_head', heads);
        if (before > 0) tx.deletes.set('stream_head', [headRow(stream, before, now)]);
      }
      if (options.retain !== undefined && journal.head > options.retain) prune(stream, journal.head - options.retain, tx);
      // A lost stream's transactions are committed (head, rows) but reach no subscriber.
      if ((tx.inserts.size > 0 || tx.deletes.size > 0) && !state.lostStreams.has(stream)) commit(tx);
      return inserted;
    },
    head: (stream) => (table.has(stream) ? table.stream(stream).head : 0),
    oldest: (stream) => (table.has(stream) ? table.stream(stream).oldest : undefined),
    history: (stream) => (table.has(stream) ? table.stream(stream).historyUpTo(Number.MAX_SAFE_INTEGER) : []),
    rows: (stream) => (table.has(stream) ? [...table.stream(stream).rows()] : []),
    prune(stream, keepAfter) {
      const tx: TxChanges = { inserts: new Map(), deletes: new Map() };
      prune(stream, keepAfter, tx);
      if (tx.deletes.size > 0) commit(tx);
    },
    queryIds: () => [...sessions].map((s) => s.queryIds()),
    checkpoints: () => [...checkpoints.rows.values()].map((r) => ({ ...r })),
    checkpointCalls: () => checkpoints.calls.map((c) => ({ ...c })),
    connectionIds: () => [...sessions].map((s) => s.connectionId),
    faults,
    stats: () => ({ ...stats }),
    async close() {
      clearInterval(pinger);
      for (const s of sessions) s.ws.terminate();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      wss.close();
    },
  };
}
