import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import type { Direction, DirectionRules, FaultEvent } from './fault-rules.js';
import { FramePipe, type DirectionStats } from './frame-pipe.js';

/** One proxied connection: the client's socket, its upstream socket, and a frame pipe each way. */
export interface ProxyLink {
  connection: number;
  client: WebSocket;
  upstream: WebSocket;
  pipes: Record<Direction, FramePipe>;
  /** Cut both sockets at once (no close frame); counted once, whoever cuts first. */
  cut(): void;
}

/** What every link of one proxy shares: its seed, rules, cut budget, fault log and counters. */
export interface LinkContext {
  readonly seed: number;
  /** The open links; a link leaves it when it is cut or its client socket closes. */
  readonly links: Set<ProxyLink>;
  /** The proxy's counters, updated in place. */
  readonly stats: { connections: number; openConnections: number; cuts: number; toClient: DirectionStats; toServer: DirectionStats };
  /** The rules of `direction` in force now (they can change while frames are queued). */
  rules(direction: Direction): DirectionRules | undefined;
  /** `cutAtFrame` reached in `direction`: false when the rule's `cutTimes` budget is spent. */
  tryCut(direction: Direction): boolean;
  record(event: Omit<FaultEvent, 'n' | 'atMs'>): void;
}

/** Close a socket with a code a peer may send; 1005/1006 (never sent on the wire) become a hard close. */
function closeWith(ws: WebSocket, code: number, reason: Buffer): void {
  if (ws.readyState !== WebSocket.OPEN) return ws.terminate();
  const sendable = code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
  if (!sendable) return code === 1005 ? ws.close() : ws.terminate();
  ws.close(code, reason.subarray(0, 123));
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Join an accepted client socket to its open upstream socket through two seeded frame pipes, and
 * register the link with the proxy until either side goes away.
 */
export function linkSockets(ctx: LinkContext, client: WebSocket, upstream: WebSocket, connection: number): void {
  const { links, stats } = ctx;
  const self: ProxyLink = {
    connection,
    client,
    upstream,
    pipes: {} as Record<Direction, FramePipe>,
    cut: () => {
      if (!links.delete(self)) return;
      stats.cuts += 1;
      stats.openConnections -= 1;
      self.pipes.to_client.kill();
      self.pipes.to_server.kill();
      client.terminate();
      upstream.terminate();
    },
  };
  const pipe = (direction: Direction, to: WebSocket): FramePipe =>
    new FramePipe({
      seed: ctx.seed,
      connection,
      direction,
      rules: () => ctx.rules(direction),
      deliver: (data, binary) => {
        if (to.readyState === WebSocket.OPEN) to.send(data, { binary });
      },
      finish: (code, reason) => closeWith(to, code, reason),
      tryCut: () => ctx.tryCut(direction),
      log: ctx.record,
      stats: direction === 'to_client' ? stats.toClient : stats.toServer,
    });
  self.pipes = { to_client: pipe('to_client', client), to_server: pipe('to_server', upstream) };
  links.add(self);
  stats.connections += 1;
  stats.openConnections += 1;
  const gone = (): void => {
    if (links.delete(self)) stats.openConnections -= 1;
  };
  upstream.on('message', (data, isBinary) => {
    if (self.pipes.to_client.push(rawToBuffer(data), isBinary) === 'cut') self.cut();
  });
  client.on('message', (data, isBinary) => {
    if (self.pipes.to_server.push(rawToBuffer(data), isBinary) === 'cut') self.cut();
  });
  upstream.on('close', (code, reason) => {
    self.pipes.to_client.pushClose(code, reason);
    if (client.readyState === WebSocket.CLOSED) gone();
  });
  client.on('close', (code, reason) => {
    self.pipes.to_server.pushClose(code, reason);
    gone();
  });
  upstream.on('error', () => undefined);
  client.on('error', () => undefined);
}
