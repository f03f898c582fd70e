import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { IDENTITY_FRAME } from '../adapters/spacetime/session-harness.js';

/** A client message as the Spacetime lane sends it (only the fields these servers read). */
export interface SpacetimeClientMessage {
  SubscribeMulti?: { query_strings: string[]; request_id: number; query_id: { id: number } };
  UnsubscribeMulti?: { request_id: number; query_id: { id: number } };
  OneOffQuery?: { message_id: string; query_string: string };
}

/** What a scripted Spacetime server does with one client message. */
export type SpacetimeScript = (message: SpacetimeClientMessage, socket: WebSocket) => void;

/** A scripted SpacetimeDB v1 JSON server on 127.0.0.1 for hostile cases. */
export interface HostileSpacetime {
  /** Full socket URL (`/v1/database/hostile/subscribe`): the lane uses it as is. */
  url: string;
  /** Sockets accepted so far. */
  accepted: number;
  /** The newest accepted socket. */
  socket(): WebSocket | undefined;
  close(): Promise<void>;
}

/**
 * Accepts `v1.json.spacetimedb`, sends `identity` (default {@link IDENTITY_FRAME}; null: nothing)
 * on every connection, then hands each client message to `script`.
 */
export async function hostileSpacetime(script: SpacetimeScript, identity: string | null = IDENTITY_FRAME): Promise<HostileSpacetime> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has('v1.json.spacetimedb') ? 'v1.json.spacetimedb' : false) });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const sockets = new Set<WebSocket>();
  let newest: WebSocket | undefined;
  const out: HostileSpacetime = {
    url: `ws://127.0.0.1:${port}/v1/database/hostile/subscribe`,
    accepted: 0,
    socket: () => newest,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    out.accepted++;
    sockets.add(socket);
    newest = socket;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (identity !== null) socket.send(identity);
    socket.on('message', (data) => script(JSON.parse(String(data)) as SpacetimeClientMessage, socket));
  });
  return out;
}

/** Answer every `SubscribeMulti` with `rows(sql)` (default none) and every `UnsubscribeMulti`; ignore one-off queries. */
export function quietSpacetime(rows: (sql: string) => string[] = () => []): SpacetimeScript {
  return (m, socket) => {
    if (m.SubscribeMulti !== undefined) {
      const { request_id, query_id, query_strings } = m.SubscribeMulti;
      const table = { table_id: 4099, table_name: 'sync_event', num_rows: 0, updates: [{ deletes: [], inserts: rows(query_strings[0]!) }] };
      socket.send(JSON.stringify({ SubscribeMultiApplied: { request_id, total_host_execution_duration_micros: 1, query_id, update: { tables: [table] } } }));
    }
    if (m.UnsubscribeMulti !== undefined) {
      const { request_id, query_id } = m.UnsubscribeMulti;
      socket.send(JSON.stringify({ UnsubscribeMultiApplied: { request_id, total_host_execution_duration_micros: 1, query_id, update: { tables: [] } } }));
    }
  };
}
