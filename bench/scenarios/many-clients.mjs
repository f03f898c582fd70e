// Figure 4: many clients in one process. N SyncClients (1,000; --quick 250), memory store, each
// subscribed to a topic without documents, joined and live: JS heap per idle client (heapUsed
// delta after full GCs / N). Then the server restarts (1012 close, same port): time from the
// restart request until every client is live again. Baseline A: the same number of bare ws
// clients (joined, subscribed) that reconnect 50 ms after a close.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { SyncClient } from '../../dist/index.js';
import { JOIN_FRAME, subscribeFrame } from '../lib/clients.mjs';
import { makeRow } from '../lib/rows.mjs';
import { ServerProcess } from '../lib/server-process.mjs';
import { gc, withTimeout } from '../lib/stats.mjs';
import { IDLE_TOPIC } from '../lib/workload.mjs';

const FIG = '4 Many clients';
const settle = (ms) => new Promise((r) => setTimeout(r, ms));

function heap() {
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
}

/** Resolves once `pred()` holds (checked every 5 ms); rejects after `timeoutMs`. */
function until(pred, timeoutMs, what) {
  return withTimeout(
    new Promise((resolve) => {
      const check = () => (pred() ? resolve() : setTimeout(check, 5));
      check();
    }),
    timeoutMs,
    what,
  );
}

async function khalaFleet({ n, url, token }) {
  const clients = [];
  let live = 0;
  const isLive = new Array(n).fill(false);
  for (let i = 0; i < n; i++) {
    const c = new SyncClient({ url, token, topics: [IDLE_TOPIC] });
    c.on('status', (s) => {
      const was = isLive[i];
      isLive[i] = s === 'live';
      live += (isLive[i] ? 1 : 0) - (was ? 1 : 0);
    });
    clients.push(c);
  }
  // Connect in waves so the server's accept queue is not the thing being measured.
  for (let i = 0; i < n; i += 100) {
    await Promise.all(clients.slice(i, i + 100).map((c) => c.connect()));
    await until(() => live >= Math.min(n, i + 100), 60_000, 'khala clients live');
  }
  return {
    live: () => live,
    close: () => Promise.all(clients.map((c) => c.close())),
  };
}

async function bareFleet({ n, url, token }) {
  let live = 0;
  let closed = false;
  const sockets = new Set();
  const connect = (slot) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}&vsn=2.0.0`);
    sockets.add(ws);
    let isLive = false;
    ws.on('open', () => ws.send(JOIN_FRAME));
    ws.on('message', (data) => {
      const [, ref, , event] = JSON.parse(data.toString());
      if (event !== 'phx_reply') return;
      if (ref === '1') ws.send(subscribeFrame(IDLE_TOPIC));
      else if (ref === '2' && !isLive) {
        isLive = true;
        live++;
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      sockets.delete(ws);
      if (isLive) live--;
      if (!closed) setTimeout(() => connect(slot), 50);
    });
  };
  for (let i = 0; i < n; i += 100) {
    for (let j = i; j < Math.min(n, i + 100); j++) connect(j);
    await until(() => live >= Math.min(n, i + 100), 60_000, 'bare clients live');
  }
  return {
    live: () => live,
    close: async () => {
      closed = true;
      for (const ws of sockets) ws.terminate();
      await settle(50);
    },
  };
}

async function measure(kind, { n, sp, srv, token }) {
  await settle(200);
  const before = heap();
  const fleet = await (kind === 'A' ? bareFleet : khalaFleet)({ n, url: srv.url, token });
  await settle(500);
  const after = heap();
  const t0 = performance.now();
  const restart = sp.call('restart');
  await until(() => fleet.live() < n, 30_000, 'clients to notice the restart');
  try {
    await until(() => fleet.live() === n, 120_000, 'clients live after restart');
  } catch (err) {
    // Say who was stuck and how far they got: the figure is otherwise silent about it.
    throw new Error(`${kind}: ${err.message} (${fleet.live()}/${n} live)`);
  }
  const restartMs = performance.now() - t0;
  await restart;
  await fleet.close();
  return { heapPerClient: (after.heapUsed - before.heapUsed) / n, externalPerClient: (after.external - before.external) / n, restartMs };
}

export async function run({ quick, runs, log }) {
  const n = quick ? 250 : 1000;
  const sp = await ServerProcess.spawn();
  const out = { A: [], khala: [] };
  try {
    const srv = await sp.start({});
    const token = await sp.call('mint');
    for (let r = 0; r <= runs; r++) {
      const a = await measure('A', { n, sp, srv, token });
      const k = await measure('khala', { n, sp, srv, token });
      if (r > 0) {
        out.A.push(a);
        out.khala.push(k);
      }
      const kb = (x) => (x / 1024).toFixed(1);
      log(`  ${r === 0 ? 'warm-up' : `run ${r}`}: heap/client A ${kb(a.heapPerClient)} KB, khala ${kb(k.heapPerClient)} KB; restart→all live A ${a.restartMs.toFixed(0)} ms, khala ${k.restartMs.toFixed(0)} ms`);
    }
  } finally {
    await sp.stop();
  }
  const pick = (list, key, scale = 1) => list.map((x) => x[key] / scale);
  const rows = [
    makeRow({ id: 'clients.heap', figure: FIG, label: `JS heap per idle client (${n} clients)`, unit: 'KB', khala: pick(out.khala, 'heapPerClient', 1024), baseline: pick(out.A, 'heapPerClient', 1024), baselineName: 'A bare ws', target: { kind: 'abs', op: '<=', value: 16 } }),
    makeRow({ id: 'clients.restart', figure: FIG, label: `server restart → all ${n} live`, unit: 's', khala: pick(out.khala, 'restartMs', 1000), baseline: pick(out.A, 'restartMs', 1000), baselineName: 'A bare ws (50 ms retry)', note: 'information: khala-sync waits its jittered backoff (0–250 ms, then 0–500 ms …)' }),
  ];
  return { rows, extra: { clients: n, externalPerClientKB: { khala: pick(out.khala, 'externalPerClient', 1024), A: pick(out.A, 'externalPerClient', 1024) } } };
}
