// CPU profile of khala-sync's own decode + apply path: the recorded frames of a backlog replayed
// in-process (no server, no socket), under the V8 sampling profiler. Writes
// bench/results/client-replay-<store>.cpuprofile (open in Chrome DevTools) and prints the top
// functions by self time. `node --expose-gc bench/profile.mjs [--quick] [--store=sqlite]`, or
// `npm run bench -- --profile`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { runKhala } from './lib/clients.mjs';
import { recordedTransport, runNull } from './lib/recorded.mjs';
import { ServerProcess } from './lib/server-process.mjs';
import { gc } from './lib/stats.mjs';
import { EVENTS_TOPIC } from './lib/workload.mjs';

function summarize(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  const dt = new Map();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  for (const [id, us] of dt) {
    const cf = byId.get(id).callFrame;
    const where = cf.url ? `${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total }));
}

export async function profile({ quick = false, store = 'memory', count: wanted } = {}) {
  const count = wanted ?? (quick ? 40_000 : 200_000);
  const sp = await ServerProcess.spawn();
  const srv = await sp.start({ doubleEmission: false, singleEmission: 'frame' });
  const pub = await sp.call('publishBacklog', { topic: EVENTS_TOPIC, count, docs: 10_000, payloadBytes: 200 });
  const token = await sp.call('mint');
  const { frames } = await runNull({ url: srv.url, token, topic: EVENTS_TOPIC, record: true });
  await sp.stop();
  const run = () => runKhala({ url: 'ws://127.0.0.1:9/sync/socket/websocket', token, topic: EVENTS_TOPIC, head: pub.head, storeKind: store, transport: recordedTransport(frames) });
  await run(); // warm-up
  gc();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const { ms } = await run();
  const { profile: prof } = await session.post('Profiler.stop');
  session.disconnect();
  const out = fileURLToPath(new URL(`./results/client-replay-${store}.cpuprofile`, import.meta.url));
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(out, JSON.stringify(prof));
  console.log(`\nCPU profile: ${count} updates replayed in-process with the ${store} store in ${ms.toFixed(0)} ms → ${out}`);
  for (const { fn, ms: t, share } of summarize(prof)) console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${t.toFixed(0).padStart(6)} ms  ${fn}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const storeArg = process.argv.find((a) => a.startsWith('--store='));
  const countArg = process.argv.find((a) => a.startsWith('--count='));
  await profile({ quick: process.argv.includes('--quick'), store: storeArg ? storeArg.slice(8) : 'memory', count: countArg ? Number(countArg.slice(8)) : undefined });
  process.exit(0);
}
