import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { until } from '../client/harness.js';
import { batch, TOPIC, update, watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, joinOk, push } from './hostile-server.js';

// Frames that break the WebSocket protocol itself: the WebSocket stack must fail the connection
// (RFC 6455 §5.2, §8.1), so the client cannot skip them the way it skips a bad JSON frame. Each
// must still be reported (`malformed_frame`, with the WebSocket stack's reason), apply nothing,
// and be followed by a reconnect that resumes from the watermark; none may pass for a plain drop
// (before the fix: a silent reconnect, and before the join, silent reconnects forever).
const cleanups = watchHost();

/** Raw bytes written to the TCP socket under `ws`, bypassing its framing. */
const raw = (ws: WebSocket, bytes: number[]): void => void (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from(bytes));

const BROKEN: Array<[string, (ws: WebSocket, n: number) => void, string]> = [
  ['a text frame whose bytes are not UTF-8', (ws, n) => ws.send(Buffer.from(batch([update(n, { payload: { s: '@' } })]).replace('@', '\u0001')).map((b) => (b === 1 ? 0xff : b)), { binary: false }), 'WS_ERR_INVALID_UTF8'],
  ['a frame with a reserved opcode', (ws) => raw(ws, [0x83, 0x00]), 'WS_ERR_INVALID_OPCODE'],
  ['a frame with RSV1 set and no extension', (ws) => raw(ws, [0xc1, 0x01, 0x7b]), 'WS_ERR_UNEXPECTED_RSV_1'],
  ['a masked frame from the server', (ws) => raw(ws, [0x81, 0x81, 1, 2, 3, 4, 0x7a]), 'WS_ERR_UNEXPECTED_MASK'],
];

describe('a frame that breaks the WebSocket protocol', () => {
  for (const [name, send, reason] of BROKEN) {
    it(`${name}: malformed_frame (${reason}), nothing applied, reconnect, live again from the watermark`, async () => {
      let subscribes = 0;
      const srv = await hostileServer((frame, ws) => {
        if (joinOk(frame, ws)) return;
        const [joinRef, ref, topic, event] = frame;
        if (event !== 'sync:subscribe') return;
        push(ws, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
        if (subscribes++ > 0) return;
        ws.send(batch([update(1)]));
        setTimeout(() => send(ws, 2), 50);
      });
      cleanups.push(() => srv.close());
      const { client, errors } = watchedClient(cleanups, { url: srv.url });
      await client.connect();
      await until(() => srv.accepted === 2 && client.status === 'live', 'live on a second socket', 3000);
      expect(errors.map((e) => [e.code, e.details['reason']])).toEqual([['malformed_frame', reason]]);
      expect(client.getWatermark(TOPIC)).toBe(1);
      expect(client.getMetrics().framesRejectedByCode).toEqual({ malformed_frame: 1 });
    });
  }

  it('before the join reply: reported on every socket, never a silent reconnect loop', async () => {
    const srv = await hostileServer((frame, ws) => {
      if (frame[3] === 'phx_join') ws.send(Buffer.from([0x5b, 0xff, 0x5d]), { binary: false });
    });
    cleanups.push(() => srv.close());
    const { client, errors } = watchedClient(cleanups, { url: srv.url });
    await client.connect();
    await until(() => srv.accepted >= 3, 'three sockets', 3000);
    await client.close();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['malformed_frame']));
  });
});
