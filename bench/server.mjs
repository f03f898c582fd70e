// Bench server process: the reference server (from dist/) in its own process, so its CPU does
// not share the measured client's event loop. Driven over the fork IPC channel by
// bench/lib/server-process.mjs: every message is {id, cmd, args}, every answer {id, ok, result|error}.
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { setImmediate } from 'node:timers';
import { WebSocketServer } from 'ws';
import { startReferenceServer } from '../dist/server/index.js';
import { runNull } from './lib/recorded.mjs';
import { makePayload } from './lib/workload.mjs';

let server;
let fast;

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

const commands = {
  async start(opts = {}) {
    if (server) await server.close();
    server = await startReferenceServer({
      port: 0,
      // Nothing idles out or heartbeats in the middle of a measurement.
      serverHeartbeatMs: 600_000,
      channelIdleTimeoutMs: 3_600_000,
      maxAgeSeconds: 0,
      ...opts,
    });
    return { url: server.url, httpUrl: server.httpUrl, snapshotUrl: server.snapshotUrl, port: server.port };
  },

  /** Append `count` events over `docs` distinct documents, `chunk` per publish() call. */
  publishBacklog({ topic, count, docs, payloadBytes, chunk = 1000, prefix = 'doc' }) {
    const t0 = performance.now();
    for (let i = 0; i < count; i += chunk) {
      const n = Math.min(chunk, count - i);
      const inputs = new Array(n);
      for (let j = 0; j < n; j++) {
        const k = i + j;
        inputs[j] = { docKey: `${prefix}:${String(k % docs).padStart(7, '0')}`, payload: makePayload(k, payloadBytes) };
      }
      server.publish(topic, inputs);
    }
    return { head: server.head(topic), ms: performance.now() - t0 };
  },

  /** Drop retained events up to `keepAfter` (moves the retention floor: older cursors are stale). */
  prune({ topic, keepAfter }) {
    server.prune(topic, keepAfter);
    return { oldest: server.oldest(topic) };
  },

  head({ topic }) {
    return server.head(topic);
  },

  mint(claims = {}) {
    return server.mintToken({ ttlSeconds: 900, ...claims });
  },

  async restart() {
    const t0 = performance.now();
    await server.restart();
    return { ms: performance.now() - t0, atUs: nowUs() };
  },

  stats() {
    return server.stats();
  },

  /**
   * Publish at `rate` updates/s for `durationMs`, one update per due slot; each payload carries the
   * monotonic publish time in µs (`t`, process.hrtime is system-wide on Linux, so the client
   * process can subtract it from its own clock).
   */
  async paced({ topic, rate, durationMs, payloadBytes, docs = 1000 }) {
    const total = Math.round((rate * durationMs) / 1000);
    const start = performance.now();
    let sent = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
        while (sent < due) {
          const k = sent++;
          const payload = makePayload(k, payloadBytes);
          payload.t = nowUs();
          server.publish(topic, [{ docKey: `live:${String(k % docs).padStart(7, '0')}`, payload }]);
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    return { sent, head: server.head(topic), ms: performance.now() - start };
  },

  /**
   * The fast-server wire mode: record what the reference server sends one client for `topic`
   * (join reply, every replay frame, subscribe reply), keep those frames pre-encoded, and serve
   * them from a bare `ws` server as fast as the socket takes them. The reference server builds and
   * encodes every frame per client; this one only writes bytes, so the wire figures measure the
   * clients rather than the server. Answers a join with the recorded join reply and a subscribe
   * with the rest; the clients' refs are the recording's (join "1", subscribe "2").
   */
  async startFast({ topic }) {
    await closeFast();
    const token = await server.mintToken({ ttlSeconds: 900 });
    const { frames } = await runNull({ url: server.url, token, topic, record: true });
    const encoded = frames.map((f) => Buffer.from(f, 'utf8'));
    const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const event = JSON.parse(data.toString())[3];
        if (event === 'phx_join') ws.send(encoded[0], { binary: false });
        else if (event === 'sync:subscribe') for (let i = 1; i < encoded.length; i++) ws.send(encoded[i], { binary: false });
      });
    });
    fast = wss;
    const bytes = encoded.reduce((n, b) => n + b.length, 0);
    return { url: `ws://127.0.0.1:${wss.address().port}/sync/socket/websocket`, frames: encoded.length, bytes };
  },

  async close() {
    await closeFast();
    if (server) await server.close();
    server = undefined;
    return true;
  },

  exit() {
    setImmediate(() => process.exit(0));
    return true;
  },
};

async function closeFast() {
  if (fast === undefined) return;
  const wss = fast;
  fast = undefined;
  for (const c of wss.clients) c.terminate();
  await new Promise((resolve) => wss.close(() => resolve()));
}

process.on('message', async (msg) => {
  const { id, cmd, args } = msg;
  try {
    const fn = commands[cmd];
    if (!fn) throw new Error(`unknown command ${cmd}`);
    const result = await fn(args);
    process.send({ id, ok: true, result });
  } catch (err) {
    process.send({ id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
