import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A Phoenix V2 frame as the client sends it. */
export type PhoenixFrame = [string | null, string | null, string, string, Record<string, unknown>];

/** What a scripted server does with one client frame. */
export type Script = (frame: PhoenixFrame, socket: WebSocket, query: URLSearchParams) => void;

/** A small scripted Khala-speaking WebSocket server on 127.0.0.1 for hostile cases. */
export interface HostileServer {
  url: string;
  port: number;
  /** Sockets accepted so far. */
  accepted: number;
  /** Sockets currently open (server side). */
  open(): number;
  /** Query strings of every upgrade (the token arrives there). */
  queries: URLSearchParams[];
  close(): Promise<void>;
}

export async function hostileServer(script: Script, options: { maxPayload?: number } = {}): Promise<HostileServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}) });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const sockets = new Set<WebSocket>();
  const out: HostileServer = {
    url: `ws://127.0.0.1:${port}/sync/socket/websocket`,
    port,
    accepted: 0,
    open: () => sockets.size,
    queries: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket, req) => {
    out.accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    out.queries.push(query);
    socket.on('message', (data) => {
      let frame: PhoenixFrame;
      try {
        frame = JSON.parse(String(data)) as PhoenixFrame;
      } catch {
        return;
      }
      script(frame, socket, query);
    });
  });
  return out;
}

/** Send a Phoenix frame. */
export function push(socket: WebSocket, frame: unknown[]): void {
  socket.send(JSON.stringify(frame));
}

/** Reply ok to a join and to every subscribe, with the given extra behaviour on subscribe. */
export function joinOk(frame: PhoenixFrame, socket: WebSocket): boolean {
  const [joinRef, ref, topic, event] = frame;
  if (event === 'phx_join') {
    push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
    return true;
  }
  if (event === 'sync:heartbeat') {
    push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { watermarks: [] } }]);
    return true;
  }
  return false;
}

/** A Khala server that joins, answers every subscribe ok, then sends the given raw frames. */
export function subscribeThenSend(frames: () => string[]): Promise<HostileServer> {
  return hostileServer((frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event === 'sync:subscribe') {
      push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
      for (const f of frames()) socket.send(f);
    }
  });
}
