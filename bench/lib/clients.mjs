// The three contenders of every wire figure, doing the same protocol work against the same server:
//
//   khala-sync  the built SDK (`dist/`), memory or SQLite store
//   baseline A  a bare `ws` client: join, subscribe, JSON.parse every Phoenix array, decode every
//               sync:frame payload (base64 → UTF-8 → JSON with Node's Buffer), keep max seq per topic
//   baseline B  the same work on the official `phoenix` npm client
//
// Each runner resolves when the topic's max applied/decoded watermark reaches `head`.
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'phoenix';
import WebSocket from 'ws';
import { SyncClient } from '../../dist/index.js';
import { createSqliteStore } from '../../dist/sqlite.js';

const UPDATE_BATCH = 'KHALA_FRAME_KIND_UPDATE_BATCH';
export const JOIN_FRAME = JSON.stringify(['1', '1', 'sync:v1', 'phx_join', {}]);

export const subscribeFrame = (topic) => JSON.stringify(['1', '2', 'sync:v1', 'sync:subscribe', { topics: [topic], replay_batch_size: 200 }]);

/**
 * The baselines' only state: the highest watermark per topic. Raises it over `updates`, calling
 * `onUpdate(topic, watermark, payload)` for each update past it; returns the new maximum.
 */
function advanceMax(max, topic, updates, onUpdate) {
  let m = max.get(topic) ?? 0;
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i];
    if (u.watermark > m) {
      m = u.watermark;
      if (onUpdate) onUpdate(topic, u.watermark, u.payload);
    }
  }
  max.set(topic, m);
  return m;
}

/**
 * Baseline A's per-frame work, shared by the socket and the in-process (recorded frames) runs.
 * With double emission the `sync:frame` copy of a batch whose seq is already reached is not
 * base64-decoded: §2.5 allows it and khala-sync does the same, so A stays the floor.
 * `onUpdate(topic, watermark, payload)` sees every decoded update (latency figure).
 */
export function bareHandler({ onJoined, onMax, onUpdate }) {
  const max = new Map();
  let joined = false;
  const seen = (topic, updates) => onMax(topic, advanceMax(max, topic, updates, onUpdate));
  return (text) => {
    const [, ref, , event, payload] = JSON.parse(text);
    if (event === 'sync:frame') {
      if (payload.kind !== UPDATE_BATCH) return;
      if (payload.seq <= (max.get(payload.topic) ?? 0)) return;
      const batch = JSON.parse(Buffer.from(payload.payload_bytes, 'base64').toString('utf8'));
      seen(payload.topic, batch.updates);
    } else if (event === 'sync:update_batch') {
      const u = payload.updates;
      if (u.length > 0) seen(u[0].topic, u);
    } else if (event === 'phx_reply' && ref === '1' && !joined) {
      joined = true;
      onJoined();
    }
  };
}

/** Baseline A over a real socket. */
export function runBare({ url, token, topic, head, onUpdate }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}&vsn=2.0.0`);
    const handle = bareHandler({
      onJoined: () => ws.send(subscribeFrame(topic)),
      onMax: (t, m) => {
        if (t === topic && m >= head) {
          const ms = performance.now() - t0;
          ws.close();
          resolve({ ms });
        }
      },
      onUpdate,
    });
    ws.on('open', () => ws.send(JOIN_FRAME));
    ws.on('message', (data) => handle(data.toString()));
    ws.on('error', reject);
  });
}

/** Baseline B: the phoenix client. `transport` is a WebSocket class (ws, or a recorded-frame fake). */
export function runPhoenix({ endpoint, token, topic, head, transport = WebSocket, onUpdate }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = new Socket(endpoint, { transport, params: { token }, timeout: 600_000, heartbeatIntervalMs: 600_000 });
    const max = new Map();
    let done = false;
    const seen = (t, updates) => {
      const m = advanceMax(max, t, updates, onUpdate);
      if (t === topic && m >= head && !done) {
        done = true;
        const ms = performance.now() - t0;
        socket.disconnect();
        resolve({ ms });
      }
    };
    const channel = socket.channel('sync:v1', {});
    channel.on('sync:update_batch', (p) => p.updates.length > 0 && seen(p.updates[0].topic, p.updates));
    channel.on('sync:frame', (p) => {
      if (p.kind !== UPDATE_BATCH || p.seq <= (max.get(p.topic) ?? 0)) return;
      seen(p.topic, JSON.parse(Buffer.from(p.payload_bytes, 'base64').toString('utf8')).updates);
    });
    socket.connect();
    channel.join(600_000).receive('ok', () => channel.push('sync:subscribe', { topics: [topic], replay_batch_size: 200 }, 600_000));
  });
}

/** A fresh store of `kind` ('memory' | 'sqlite'); `dispose()` removes its files. */
export function makeStore(kind) {
  if (kind === 'memory') return { store: undefined, dispose() {} };
  const dir = mkdtempSync(join(tmpdir(), 'khala-bench-'));
  const store = createSqliteStore({ path: join(dir, 'bench.sqlite') });
  return { store, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** khala-sync: a SyncClient with `store`; resolves when `head` is applied (committed). */
export async function runKhala({ url, token, topic, head, storeKind = 'memory', transport, onUpdates, keep = false, verifyPayloadHash }) {
  const { store, dispose } = makeStore(storeKind);
  const errors = [];
  const t0 = performance.now();
  const client = new SyncClient({ url, token, topics: [topic], store, transport, verifyPayloadHash });
  const ms = await new Promise((resolve) => {
    client.on('error', (e) => errors.push(e.code));
    client.on('updates', (b) => {
      if (onUpdates) onUpdates(b);
      if (b.topic === topic && b.updates[b.updates.length - 1].watermark >= head) resolve(performance.now() - t0);
    });
    void client.connect();
  });
  if (keep) return { ms, errors, client, dispose };
  await client.close();
  dispose();
  return { ms, errors };
}
