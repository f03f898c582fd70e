// Figure 6: what the client's observability costs on the hot path (issue #15: ≤ 3 %). The same
// recorded frames are applied in-process (no server, no socket) by a default client (plain
// counters, no registry, no health) and by one with `metrics: clientMetrics()` (registry and health)
// that also has a health listener (`client.metrics.onHealth`) and whose registry is rendered as
// Prometheus text every 100 ms (a far busier scrape than any real one).
// Interleaved rounds; the ratio is on/off of the medians. --quick: 20,000 updates.
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { SyncClient } from '../../dist/index.js';
import { clientMetrics, renderPrometheus } from '../../dist/observability.js';
import { recordedTransport, runNull } from '../lib/recorded.mjs';
import { makeRow, perSecond } from '../lib/rows.mjs';
import { ServerProcess } from '../lib/server-process.mjs';
import { EVENTS_TOPIC } from '../lib/workload.mjs';
import { rounds } from './throughput.mjs';

const FIG = '6 Metrics cost';
const FAKE_URL = 'ws://127.0.0.1:9/sync/socket/websocket';

function applyAll({ frames, token, head, metrics }) {
  const t0 = performance.now();
  const client = new SyncClient({ url: FAKE_URL, token, topics: [EVENTS_TOPIC], transport: recordedTransport(frames), metrics: metrics ? clientMetrics() : undefined });
  let scrape;
  let scraped = 0;
  if (metrics) {
    client.metrics.onHealth(() => undefined);
    scrape = setInterval(() => (scraped += renderPrometheus(client.metrics.snapshot()).length), 100);
  }
  return new Promise((resolve) => {
    client.on('updates', (b) => {
      if (b.updates[b.updates.length - 1].watermark < head) return;
      const ms = performance.now() - t0;
      clearInterval(scrape);
      void client.close().then(() => resolve({ ms, scraped }));
    });
    void client.connect();
  });
}

export async function run({ quick, runs, log }) {
  const count = quick ? 20_000 : 200_000;
  const workload = { topic: EVENTS_TOPIC, count, docs: 10_000, payloadBytes: 200 };
  const sp = await ServerProcess.spawn();
  try {
    const srv = await sp.start({ doubleEmission: false, singleEmission: 'frame' });
    const pub = await sp.call('publishBacklog', workload);
    const token = await sp.call('mint');
    const rec = await runNull({ url: srv.url, token, topic: EVENTS_TOPIC, record: true });
    log('  in-process (recorded frames), metrics off vs on:');
    const r = await rounds(runs, ['off', 'on'], { off: () => applyAll({ frames: rec.frames, token, head: pub.head, metrics: false }), on: () => applyAll({ frames: rec.frames, token, head: pub.head, metrics: true }) }, log, quick ? 60_000 : 180_000);
    const rows = [
      makeRow({ id: 'metrics.iso.on_vs_off', figure: FIG, label: 'memory store, metrics + health + 10 scrapes/s vs metrics off (in-process)', unit: 'updates/s', khala: perSecond(count, r.ms.on), baseline: perSecond(count, r.ms.off), baselineName: 'no metrics plug-in', target: { kind: 'ratio', op: '>=', value: 0.97 } }),
    ];
    return { rows, extra: { workload } };
  } finally {
    await sp.stop();
  }
}
