// Child process of flood.test.ts: one SyncClient (built dist/) against the flooding server, over a
// memory store whose commit takes ~2 ms; RSS sampled every 25 ms. Prints one JSON line.
import { clearInterval, setInterval } from 'node:timers';
import { SyncClient, createMemoryStore } from '../../dist/index.js';

const [url, topic, countArg, maxInboundArg] = process.argv.slice(2);
const count = Number(countArg);
const inner = createMemoryStore();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const store = {
  ...inner,
  commit: async (c) => {
    await sleep(2);
    await inner.commit(c);
  },
};
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const client = new SyncClient({ url, token: 'flood-token', topics: [topic], store, reconnectDelay: () => 50, ...(maxInboundArg ? { maxInboundBytes: Number(maxInboundArg) } : {}) });
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
const seen = [];
const errors = [];
client.on('updates', (b) => {
  for (const u of b.updates) seen.push(u.watermark);
});
client.on('error', (e) => errors.push(e.code));
client.connect();
const started = Date.now();
while (seen.length < count && Date.now() - started < 170_000) await sleep(50);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
let inOrder = true;
for (let i = 0; i < seen.length; i++) if (seen[i] !== i + 1) inOrder = false;
await client.close();
const MiB = 2 ** 20;
process.stdout.write(JSON.stringify({ baselineMiB: baseline / MiB, peakMiB: peak / MiB, growthMiB: (peak - baseline) / MiB, applied: seen.length, inOrder, pauses: client.getMetrics().inboundPauses, errors: [...new Set(errors)], ms: Date.now() - started }) + '\n');
