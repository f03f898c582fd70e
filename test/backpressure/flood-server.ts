import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const FLOOD_TOPIC = 'runtime.run_summaries';

/** A loopback Khala server that answers a subscribe with `count` one-update frames of ~`padBytes` each. */
export interface FloodServer {
  url: string;
  /** Sockets accepted so far. */
  accepted: number;
  /** Unix ms of each accepted socket. */
  acceptedAt: number[];
  /** `resume_after` of every subscribe, in order (undefined: none). */
  resumes: Array<number | undefined>;
  /** Sockets evicted as slow consumers. */
  evicted: number;
  close(): Promise<void>;
}

export interface FloodOptions {
  count: number;
  padBytes?: number;
  /**
   * Evict the first socket as a slow consumer once sending was blocked this long (the client
   * stopped reading): `slow_consumer` disconnect (`reconnect_after_ms` 200) and `phx_error` are
   * queued behind the backlog and nothing more is sent. Default never.
   */
  evictAfterBlockedMs?: number;
}

function reply(s: WebSocket, frame: unknown[], response: object): void {
  s.send(JSON.stringify([frame[0], frame[1], frame[2], 'phx_reply', { status: 'ok', response }]));
}

/** One valid `sync:update_batch` frame carrying watermark `seq`. */
export function floodFrame(seq: number, pad: string): string {
  const update = `{"topic":"${FLOOD_TOPIC}","doc_key":"d${seq % 100}","doc_version":${seq},"payload":{"seq":${seq},"pad":"${pad}"},"watermark":${seq}}`;
  return `[null,null,"sync:v1","sync:update_batch",{"updates":[${update}],"replay_complete":true,"head_watermarks":[]}]`;
}

/**
 * The sender never queues more than ~1 MiB itself (it waits on `bufferedAmount`), so a client that
 * stops reading holds the flood back through TCP, as a real server's socket would be.
 */
export async function floodServer(options: FloodOptions): Promise<FloodServer> {
  const pad = 'x'.repeat(options.padBytes ?? 10_000);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sockets = new Set<WebSocket>();
  const out: FloodServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/sync/socket/websocket`,
    accepted: 0,
    acceptedAt: [],
    resumes: [],
    evicted: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close(() => resolve());
      }),
  };
  const flood = async (s: WebSocket, from: number): Promise<void> => {
    const evict = options.evictAfterBlockedMs !== undefined && out.evicted === 0;
    for (let seq = from; seq <= options.count && s.readyState === s.OPEN; seq++) {
      const blockedAt = Date.now();
      while (s.bufferedAmount > 1 << 20 && s.readyState === s.OPEN) {
        if (evict && Date.now() - blockedAt > options.evictAfterBlockedMs!) {
          out.evicted++;
          const error = { code: 'slow_consumer', action: 'disconnect', topic: FLOOD_TOPIC, queue_depth: 65, queue_limit: 64, reconnect_after_ms: 200, full_resync_required: true, message: 'client cannot keep up' };
          s.send(JSON.stringify([null, null, 'sync:v1', 'sync:error', error]));
          s.send(JSON.stringify([null, null, 'sync:v1', 'phx_error', {}]));
          return;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      s.send(floodFrame(seq, pad));
    }
  };
  wss.on('connection', (s) => {
    out.accepted++;
    out.acceptedAt.push(Date.now());
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('message', (data) => {
      const frame = JSON.parse(String(data)) as [unknown, unknown, string, string, { resume_after?: Record<string, number> }];
      const event = frame[3];
      if (event === 'phx_join') reply(s, frame, { current_watermarks: [] });
      else if (event === 'sync:heartbeat') reply(s, frame, { watermarks: [] });
      else if (event === 'sync:subscribe') {
        const after = frame[4].resume_after?.[FLOOD_TOPIC];
        out.resumes.push(after);
        reply(s, frame, { current_watermarks: [] });
        void flood(s, (after ?? 0) + 1);
      }
    });
  });
  return out;
}
