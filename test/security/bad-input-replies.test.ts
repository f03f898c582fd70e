import { describe, expect, it } from 'vitest';
import { until } from '../client/harness.js';
import { watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, push, type HostileServer } from './hostile-server.js';

// Replies the client cannot act on as it stands: a subscribe answered with an unreadable reply or
// with an error code the client has no rule for subscribed nothing, and nothing will answer that
// request again. Each must be reported, and the client must reconnect (with backoff) and
// subscribe again — not wait forever in `replaying`. Nothing escapes to the host process.
const TOPIC = 'runtime.run_summaries';
const cleanups = watchHost();

/** A server whose first subscribe reply is `reply`; every later one is ok. */
async function firstSubscribeAnswered(reply: unknown): Promise<HostileServer> {
  let subscribes = 0;
  const srv = await hostileServer((frame, socket) => {
    const [joinRef, ref, topic, event] = frame;
    if (event === 'phx_join') push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
    if (event === 'sync:subscribe') push(socket, [joinRef, ref, topic, 'phx_reply', subscribes++ === 0 ? reply : { status: 'ok', response: { current_watermarks: [] } }]);
  });
  cleanups.push(() => srv.close());
  return srv;
}

const INVALID = 'invalid_payload';
const CASES: Array<[string, unknown, string[]]> = [
  ['ok with current_watermarks of the wrong type', { status: 'ok', response: { current_watermarks: 'x' } }, [INVALID]],
  ['ok with a current watermark that is negative', { status: 'ok', response: { current_watermarks: [{ topic: TOPIC, watermark: -1 }] } }, [INVALID]],
  ['ok with topics that are not strings', { status: 'ok', response: { topics: [1] } }, [INVALID]],
  ['a status that is neither ok nor error', { status: 'maybe', response: {} }, [INVALID]],
  ['a status that is a number', { status: 1 }, [INVALID]],
  ['a response that is an array', { status: 'ok', response: [] }, [INVALID]],
  ['error whose code is a number', { status: 'error', response: { code: 5 } }, [INVALID]],
  ['error without a code', { status: 'error', response: {} }, [INVALID]],
  ['error with an unknown code', { status: 'error', response: { code: 'quota_exhausted' } }, ['internal']],
  ['error payload_too_large', { status: 'error', response: { code: 'payload_too_large' } }, ['payload_too_large']],
  ['error slow_consumer (a push code, not a reply code)', { status: 'error', response: { code: 'slow_consumer', action: 'throttle', topic: TOPIC } }, ['slow_consumer']],
];

describe('a subscribe reply the client has no rule for', () => {
  for (const [name, reply, codes] of CASES) {
    it(`${name}: reported ${codes.join(', ')}, then reconnect and live`, async () => {
      const srv = await firstSubscribeAnswered(reply);
      const { client, errors } = watchedClient(cleanups, { url: srv.url });
      await client.connect();
      await until(() => client.status === 'live', 'live after the reconnect', 3000);
      expect(errors.map((e) => e.code)).toEqual(codes);
      expect(srv.accepted).toBe(2);
    });
  }

  it('a known code keeps its rule: forbidden_topic fails the topic, no reconnect', async () => {
    const srv = await firstSubscribeAnswered({ status: 'error', response: { code: 'forbidden_topic', forbidden_topics: [TOPIC] } });
    const { client, errors } = watchedClient(cleanups, { url: srv.url });
    await client.connect();
    await until(() => client.status === 'failed', 'failed');
    expect(errors.map((e) => e.code)).toEqual(['forbidden_topic']);
    expect(srv.accepted).toBe(1);
  });
});

// The same for the join: its reply came, so nothing will answer the join again; waiting
// `joinTimeoutMs` (10 s) for it left the client in `joining` for nothing.
describe('a join reply the client cannot read', () => {
  const JOIN_REPLIES: Array<[string, unknown]> = [
    ['error without a response', { status: 'error' }],
    ['error whose response is a string', { status: 'error', response: 'nope' }],
    ['error whose code is a number', { status: 'error', response: { code: 5 } }],
    ['ok with current_watermarks of the wrong type', { status: 'ok', response: { current_watermarks: 'x' } }],
    ['a status that is neither ok nor error', { status: 'maybe', response: {} }],
  ];
  for (const [name, reply] of JOIN_REPLIES) {
    it(`${name}: reported ${INVALID} once, then reconnect at once and live`, async () => {
      let joins = 0;
      const srv = await hostileServer((frame, socket) => {
        const [joinRef, ref, topic, event] = frame;
        if (event === 'phx_join') push(socket, [joinRef, ref, topic, 'phx_reply', joins++ === 0 ? reply : { status: 'ok', response: {} }]);
        if (event === 'sync:subscribe') push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
      });
      cleanups.push(() => srv.close());
      const { client, errors } = watchedClient(cleanups, { url: srv.url });
      await client.connect();
      await until(() => client.status === 'live', 'live after the reconnect', 3000);
      expect(errors.map((e) => e.code)).toEqual([INVALID]);
      expect(srv.accepted).toBe(2);
    });
  }
});

describe('a Spacetime subscribe reply the client cannot read', () => {
  const STREAM = 'runtime.codex.worker.worker_1';
  const applied = (requestId: unknown, queryId: unknown, update: unknown): string => JSON.stringify({ SubscribeMultiApplied: { request_id: requestId, total_host_execution_duration_micros: 1, query_id: { id: queryId }, update } });
  const BAD: Array<[string, (requestId: number, queryId: number) => string]> = [
    ['request_id a string', (r, q) => applied(String(r), q, { tables: [] })],
    ['request_id above u32', (_r, q) => applied(2 ** 32, q, { tables: [] })],
    ['query_id negative', (r) => applied(r, -1, { tables: [] })],
    ['update missing', (r, q) => applied(r, q, undefined)],
    ['tables not an array', (r, q) => applied(r, q, { tables: {} })],
    ['a row list of numbers', (r, q) => applied(r, q, { tables: [{ table_name: 'sync_event', updates: [{ deletes: [], inserts: [1] }] }] })],
  ];
  for (const [name, reply] of BAD) {
    it(`${name}: reported invalid_payload, then the connection starts over and goes live`, async () => {
      const { WebSocketServer } = await import('ws');
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p: Set<string>) => (p.has('v1.json.spacetimedb') ? 'v1.json.spacetimedb' : false) });
      await new Promise<void>((r) => wss.once('listening', () => r()));
      cleanups.push(() => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
      let accepted = 0;
      let subscribes = 0;
      wss.on('connection', (ws) => {
        accepted++;
        ws.send('{"IdentityToken":{"identity":{"__identity__":"0xc200"},"token":"t","connection_id":{"__connection_id__":7}}}');
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as { SubscribeMulti?: { request_id: number; query_id: { id: number } } };
          if (m.SubscribeMulti === undefined) return;
          const { request_id: r, query_id: q } = m.SubscribeMulti;
          ws.send(subscribes++ === 0 ? reply(r, q.id) : applied(r, q.id, { tables: [] }));
        });
      });
      const { createSpacetimeLane } = await import('../../src/spacetime.js');
      const port = (wss.address() as { port: number }).port;
      const { client, errors } = watchedClient(cleanups, { url: `http://127.0.0.1:${port}`, topics: [STREAM], lane: createSpacetimeLane({ database: 'db' }) });
      await client.connect();
      await until(() => client.status === 'live', 'live after the reconnect', 3000);
      expect(errors.map((e) => e.code)).toEqual([INVALID, 'channel_closed']);
      expect(accepted).toBe(2);
    });
  }
});
