import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { until } from '../client/harness.js';
import { TOPIC, update, watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, joinOk, push } from './hostile-server.js';

// Enum-like strings the server sends (slow_consumer's action, a reply's status, a frame's kind, a
// stale topic's reason) compare like codes do: trimmed and case-insensitive (docs/protocol/khala.md
// §3.1). Before, only codes were normalized: `"action":"DISCONNECT"` was read as a throttle.
const cleanups = watchHost();

/** A server answering every subscribe with `status`, then pushing `after` on the first socket's first subscribe. */
async function server(status: string, after: (socket: WebSocket, joinRef: string | null) => void) {
  const perSocket = new Map<WebSocket, number>();
  const srv = await hostileServer((frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event !== 'sync:subscribe') return;
    const n = (perSocket.get(socket) ?? 0) + 1;
    perSocket.set(socket, n);
    push(socket, [joinRef, ref, topic, 'phx_reply', { status, response: { current_watermarks: [{ topic: TOPIC, watermark: 1 }] } }]);
    if (perSocket.size === 1 && n === 1) after(socket, joinRef);
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { subscribes: () => [...perSocket.values()] });
}

const frame = (kind: string, body: unknown, seq: number): Record<string, unknown> => ({
  topic: TOPIC,
  seq,
  kind,
  payload_bytes: Buffer.from(JSON.stringify(body)).toString('base64'),
  schema_version: 1,
});

describe('enum-like server strings in any case', () => {
  it('slow_consumer with action "DISCONNECT" reconnects (not a throttle resubscribe on the same socket)', async () => {
    const srv = await server('ok', (socket, joinRef) => {
      push(socket, [joinRef, null, 'sync:v1', 'sync:error', { code: 'slow_consumer', action: ' DISCONNECT', topic: TOPIC, reconnect_after_ms: 30 }]);
    });
    const { client } = watchedClient(cleanups, { url: srv.url });
    await client.connect();
    await until(() => srv.accepted === 2 && srv.subscribes().length === 2, 'second socket subscribed', 3000);
    expect(srv.subscribes()).toEqual([1, 1]);
  });

  it('a reply status "OK" is ok, a frame kind in lower case is its kind, a stale reason in upper case is lowercased', async () => {
    const srv = await server('OK', (socket, joinRef) => {
      push(socket, [joinRef, null, 'sync:v1', 'sync:frame', frame('khala_frame_kind_update_batch', { updates: [update(2)] }, 2)]);
      const stale = { code: 'stale_cursor', full_resync_required: true, stale_topics: [{ topic: TOPIC, reason: 'RETENTION_FLOOR_BREACH', retention_floor: 1 }] };
      push(socket, [joinRef, null, 'sync:v1', 'sync:error', stale]);
    });
    const { client, errors } = watchedClient(cleanups, { url: srv.url });
    const reasons: unknown[] = [];
    client.on('stale', (s) => reasons.push(s.reason));
    await client.connect();
    await until(() => reasons.length === 1, 'stale reported', 3000);
    expect(client.getWatermark(TOPIC)).toBe(2);
    expect(reasons).toEqual(['retention_floor_breach']);
    expect(errors.map((e) => e.code)).not.toContain('invalid_payload');
  });
});
