// Figure 6: publish → applied latency at 1,000 updates/s (5 s per run). The server
// process stamps each payload with the monotonic clock (process.hrtime, system-wide on Linux)
// right before publish(); each contender subtracts it from its own clock when the update is
// applied (khala-sync: the `updates` event, after the store commit) or decoded (A, B). Each run
// uses a fresh server, so only live traffic is timed. --quick runs 1 s per run.
import { Buffer } from 'node:buffer';
import { Socket } from 'phoenix';
import WebSocket from 'ws';
import { SyncClient } from '../../dist/index.js';
import { bareHandler, JOIN_FRAME, subscribeFrame } from '../lib/clients.mjs';
import { makeRow } from '../lib/rows.mjs';
import { ServerProcess } from '../lib/server-process.mjs';
import { gc, percentile, withTimeout } from '../lib/stats.mjs';
import { EVENTS_TOPIC } from '../lib/workload.mjs';

const FIG = '6 Latency';
const TOPIC = EVENTS_TOPIC;
const RATE = 1000;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** A connected contender: `ready` once subscribed and live, `reached(head)` once `head` is applied. */
function session(kind, { url, token, onPayload }) {
  let max = 0;
  let waiter;
  const seen = (wm, payload) => {
    if (payload && typeof payload.t === 'number') onPayload(payload.t);
    if (wm > max) max = wm;
    if (waiter && max >= waiter.head) waiter.resolve();
  };
  const reached = (head) => (max >= head ? Promise.resolve() : new Promise((resolve) => (waiter = { head, resolve })));
  if (kind === 'khala') {
    const client = new SyncClient({ url, token, topics: [TOPIC] });
    client.on('updates', (b) => {
      for (const u of b.updates) seen(u.watermark, u.payload);
    });
    const ready = new Promise((resolve) => client.on('status', (s) => s === 'live' && resolve()));
    void client.connect();
    return { ready, reached, close: () => client.close() };
  }
  if (kind === 'A') {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}&vsn=2.0.0`);
    let resolveReady;
    const ready = new Promise((r) => (resolveReady = r));
    const handle = bareHandler({ onJoined: () => ws.send(subscribeFrame(TOPIC)), onMax() {}, onUpdate: (_t, wm, p) => seen(wm, p) });
    ws.on('open', () => ws.send(JOIN_FRAME));
    ws.on('message', (data) => {
      const text = data.toString();
      handle(text);
      if (text.startsWith('["1","2","sync:v1","phx_reply"')) resolveReady();
    });
    return { ready, reached, close: async () => ws.close() };
  }
  // B: phoenix
  const socket = new Socket(url.replace(/\/websocket$/, ''), { transport: WebSocket, params: { token }, heartbeatIntervalMs: 600_000 });
  const channel = socket.channel('sync:v1', {});
  channel.on('sync:update_batch', (p) => p.updates.forEach((u) => seen(u.watermark, u.payload)));
  channel.on('sync:frame', (p) => {
    if (p.kind !== 'KHALA_FRAME_KIND_UPDATE_BATCH' || p.seq <= max) return;
    for (const u of JSON.parse(Buffer.from(p.payload_bytes, 'base64').toString('utf8')).updates) seen(u.watermark, u.payload);
  });
  socket.connect();
  const ready = new Promise((resolve) => channel.join().receive('ok', () => channel.push('sync:subscribe', { topics: [TOPIC], replay_batch_size: 200 }).receive('ok', resolve)));
  return { ready, reached, close: async () => socket.disconnect() };
}

export async function run({ quick, runs, log }) {
  const durationMs = quick ? 1000 : 5000;
  const sp = await ServerProcess.spawn();
  const order = ['A', 'khala', 'B'];
  const p50 = { A: [], khala: [], B: [] };
  const p99 = { A: [], khala: [], B: [] };
  try {
    for (let r = 0; r <= runs; r++) {
      const line = [];
      for (const kind of order) {
        // A fresh server per run: every contender starts on an empty topic, nothing to replay.
        const srv = await sp.start({ doubleEmission: false, singleEmission: 'frame' });
        const token = await sp.call('mint');
        gc();
        const lat = [];
        const s = session(kind, { url: srv.url, token, onPayload: (t) => lat.push((nowUs() - t) / 1000) });
        await withTimeout(s.ready, 30_000, `${kind} ready`);
        const paced = await sp.call('paced', { topic: TOPIC, rate: RATE, durationMs, payloadBytes: 200 });
        await withTimeout(s.reached(paced.head), 30_000, `${kind} caught up`);
        await s.close();
        const a = percentile(lat, 50);
        const b = percentile(lat, 99);
        if (lat.length < paced.sent) throw new Error(`${kind}: ${lat.length} of ${paced.sent} updates timed`);
        if (r > 0) {
          p50[kind].push(a);
          p99[kind].push(b);
        }
        line.push(`${kind} p50 ${a.toFixed(2)} p99 ${b.toFixed(2)}`);
      }
      log(`  ${r === 0 ? 'warm-up' : `run ${r}`}: ${line.join(', ')} ms`);
    }
  } finally {
    await sp.stop();
  }
  const rows = [];
  for (const [name, series] of [['p50', p50], ['p99', p99]]) {
    // #11: p99 must not regress past 1.3× A; p50 is information.
    const target = name === 'p99' ? { target: { kind: 'ratio', op: '<=', value: 1.3 } } : { note: 'information (no target)' };
    rows.push(makeRow({ id: `latency.${name}_vs_A`, figure: FIG, label: `publish → applied ${name} at ${RATE}/s vs A`, unit: 'ms', khala: series.khala, baseline: series.A, baselineName: 'A bare ws', ...target }));
    rows.push(makeRow({ id: `latency.${name}_vs_B`, figure: FIG, label: `publish → applied ${name} at ${RATE}/s vs B`, unit: 'ms', khala: series.khala, baseline: series.B, baselineName: 'B phoenix', note: 'information (no target)' }));
  }
  return { rows, extra: { rate: RATE, durationMs } };
}
