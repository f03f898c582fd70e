import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import type { TransportFactory } from '../../src/transport/transport.js';
import { webSocketTransport } from '../../src/transport/websocket-transport.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { until } from '../client/harness.js';
import { TOPIC, update, watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, joinOk, push, type HostileServer, type PhoenixFrame } from './hostile-server.js';

// A server that keeps the socket busy (heartbeats answered, pushes flowing) but never answers a
// request leaves nothing for the silence watchdog to see: each such wait has its own bound (SPEC.md S8).
const cleanups = watchHost();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A real WebSocket transport whose close is held back: frames the server sends meanwhile still reach the client. */
const lingering: TransportFactory = (url, handlers, options) => {
  const t = webSocketTransport(url, handlers, options);
  return { send: (text) => t.send(text), close: (code, reason) => sleep(300).then(() => t.close(code, reason)) };
};

const batchFrame = (joinRef: string | null, seqs: number[], replayComplete: boolean): unknown[] => [joinRef, null, 'sync:v1', 'sync:update_batch', { updates: seqs.map((n) => update(n)), replay_complete: replayComplete, head_watermarks: [] }];
const okReply = (frame: PhoenixFrame): unknown[] => [frame[0], frame[1], 'sync:v1', 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }];

/** A Khala server on loopback (closed after the test) that joins, answers heartbeats and hands each subscribe to `onSubscribe`. */
async function khala(onSubscribe: (frame: PhoenixFrame, socket: WebSocket) => void): Promise<HostileServer> {
  const srv = await hostileServer((frame, socket) => {
    if (!joinOk(frame, socket) && frame[3] === 'sync:subscribe') onSubscribe(frame, socket);
  });
  cleanups.push(() => srv.close());
  return srv;
}

/** A client on `srv`, connected and live within 3 s, and the errors it reported. */
async function liveOn(srv: HostileServer, options: Partial<SyncClientOptions>): Promise<{ client: SyncClient; errors: KhalaSyncError[] }> {
  const watched = watchedClient(cleanups, { url: srv.url, ...options });
  await watched.client.connect();
  await until(() => watched.client.status === 'live', 'live', 3000);
  return watched;
}

describe('Khala: a sync:subscribe whose reply never comes (S8)', () => {
  it('heartbeats answered, the reply never sent: reply_timeout, reconnect, resubscribe from the durable cursor; the late reply on the old socket changes nothing', async () => {
    let first: { socket: WebSocket; frame: PhoenixFrame } | undefined;
    const subscribes: PhoenixFrame[] = [];
    const srv = await khala((frame, socket) => {
      subscribes.push(frame);
      if (first === undefined) {
        first = { socket, frame };
        push(socket, batchFrame(frame[0], [1, 2], false));
        return;
      }
      // The old socket is still open (its close is held back): its late reply and a copy of 3 arrive there too.
      push(first.socket, batchFrame(first.frame[0], [3], true));
      push(first.socket, okReply(first.frame));
      push(socket, batchFrame(frame[0], [3], true));
      push(socket, okReply(frame));
    });
    const { client, errors } = watchedClient(cleanups, { url: srv.url, transport: lingering, subscribeTimeoutMs: 200, heartbeatIntervalMs: 40 });
    const applied: number[] = [];
    const caughtUp: string[] = [];
    client.on('updates', (b) => b.updates.forEach((u) => applied.push(u.watermark)));
    client.on('caught_up', (c) => caughtUp.push(c.topic));
    await client.connect();
    await until(() => errors.length > 0, 'reply_timeout', 3000);
    await until(() => client.status === 'live', 'live after the reconnect', 3000);
    await sleep(400);
    expect(errors.map((e) => e.code)).toEqual(['reply_timeout']);
    expect(errors[0]!.retryable).toBe(true);
    expect(srv.accepted).toBe(2);
    expect(subscribes[1]![4]['resume_after']).toEqual({ [TOPIC]: 2 });
    expect(applied).toEqual([1, 2, 3]);
    expect(caughtUp).toEqual([TOPIC]);
    expect(client.status).toBe('live');
  });

  it('a long replay before the reply does not trip it: the wait counts from the last batch of the topics', async () => {
    const srv = await khala((frame, socket) => {
      void (async () => {
        for (let n = 1; n <= 6; n++) {
          push(socket, batchFrame(frame[0], [n], false));
          await sleep(90);
        }
        push(socket, okReply(frame));
      })();
    });
    const { client, errors } = await liveOn(srv, { subscribeTimeoutMs: 200 });
    expect(errors).toEqual([]);
    expect(srv.accepted).toBe(1);
    expect(client.getWatermark(TOPIC)).toBe(6);
  });
});

describe('Khala: the channel ends while a subscribe waits, the socket left open', () => {
  for (const event of ['phx_close', 'phx_error']) {
    it(`${event} instead of the reply: channel_closed at once, reconnect, live`, async () => {
      let subscribes = 0;
      const srv = await khala((frame, socket) => push(socket, subscribes++ === 0 ? [frame[0], frame[0], 'sync:v1', event, {}] : okReply(frame)));
      const { errors } = await liveOn(srv, { heartbeatIntervalMs: 40 });
      expect(errors.map((e) => e.code)).toEqual(['channel_closed']);
      expect(srv.accepted).toBe(2);
    });
  }
});

describe('Khala: a reply late only because the client is busy (S8)', () => {
  it('batches and the reply all sent at once, each commit taking longer than the limit: no reply_timeout', async () => {
    const srv = await khala((frame, socket) => {
      for (let n = 1; n <= 4; n++) push(socket, batchFrame(frame[0], [n], false));
      push(socket, okReply(frame));
    });
    const inner = createMemoryStore();
    const store: SyncStore = { ...inner, commit: async (c) => (await sleep(150), inner.commit(c)) };
    const { client, errors } = await liveOn(srv, { store, subscribeTimeoutMs: 100 });
    expect(errors).toEqual([]);
    expect(srv.accepted).toBe(1);
    expect(client.getWatermark(TOPIC)).toBe(4);
  });
});

describe('Spacetime: a server that never answers', () => {
  const STREAM = 'runtime.codex.worker.worker_1';
  const IDENTITY = '{"IdentityToken":{"identity":{"__identity__":"0xc200"},"token":"t","connection_id":{"__connection_id__":7}}}';
  const applied = (r: number, q: number): string => JSON.stringify({ SubscribeMultiApplied: { request_id: r, total_host_execution_duration_micros: 1, query_id: { id: q }, update: { tables: [] } } });
  const UNMATCHED = JSON.stringify({ OneOffQueryResponse: { message_id: 'deadbeef', error: { none: [] }, tables: [], total_host_execution_duration: { __time_duration_micros__: 1 } } });

  /** A Spacetime server on loopback; `onConnection` gets each socket and its 1-based number. */
  async function spacetime(onConnection: (ws: WebSocket, n: number) => void): Promise<{ url: string; accepted: () => number }> {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p: Set<string>) => (p.has('v1.json.spacetimedb') ? 'v1.json.spacetimedb' : false) });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const timers: Array<ReturnType<typeof setInterval>> = [];
    cleanups.push(() => new Promise<void>((r) => (timers.forEach(clearInterval), wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
    let accepted = 0;
    wss.on('connection', (ws) => {
      // Something arrives all the time, so the silence watchdog never fires.
      timers.push(setInterval(() => ws.send(UNMATCHED), 40));
      onConnection(ws, ++accepted);
    });
    return { url: `http://127.0.0.1:${(wss.address() as { port: number }).port}`, accepted: () => accepted };
  }

  it('no IdentityToken after the socket opens: reply_timeout after joinTimeoutMs, then the client dials again', async () => {
    const srv = await spacetime((ws, n) => {
      if (n > 1) ws.send(IDENTITY);
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { SubscribeMulti?: { request_id: number; query_id: { id: number } } };
        if (m.SubscribeMulti !== undefined) ws.send(applied(m.SubscribeMulti.request_id, m.SubscribeMulti.query_id.id));
      });
    });
    const { createSpacetimeLane } = await import('../../src/spacetime.js');
    const { client, errors } = watchedClient(cleanups, { url: srv.url, topics: [STREAM], lane: createSpacetimeLane({ database: 'db' }), joinTimeoutMs: 200 });
    await client.connect();
    await until(() => client.status === 'live', 'live on the second socket', 3000);
    // What the server sent before an IdentityToken is refused (and counts as traffic, so only the join timer can end the wait).
    expect(errors.map((e) => e.code).filter((c) => c !== 'unexpected_message')).toEqual(['reply_timeout']);
    expect(srv.accepted()).toBe(2);
  });

  it('a SubscribeMulti never applied: reply_timeout after subscribeTimeoutMs, reconnect, subscribe again, live', async () => {
    const srv = await spacetime((ws, n) => {
      ws.send(IDENTITY);
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { SubscribeMulti?: { request_id: number; query_id: { id: number } } };
        if (m.SubscribeMulti !== undefined && n > 1) ws.send(applied(m.SubscribeMulti.request_id, m.SubscribeMulti.query_id.id));
      });
    });
    const { createSpacetimeLane } = await import('../../src/spacetime.js');
    const { client, errors } = watchedClient(cleanups, { url: srv.url, topics: [STREAM], lane: createSpacetimeLane({ database: 'db' }), subscribeTimeoutMs: 200 });
    await client.connect();
    await until(() => client.status === 'live', 'live after the reconnect', 3000);
    expect(errors.map((e) => e.code)).toEqual(['reply_timeout']);
    expect(srv.accepted()).toBe(2);
  });
});
