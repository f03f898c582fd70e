// Figure 2: replay of a large backlog (1,000,000 events; --quick 50,000) from cursor 0 to
// caught-up, khala-sync (memory store) against baseline A. The server builds a subscribe's whole
// replay synchronously before it flushes (src/server/channel-session.ts), so the wire time is
// mostly server time: the null client measures that floor, and the recorded frames are replayed
// in-process to isolate the client's own decode + apply path.
import { runBare, runKhala } from '../lib/clients.mjs';
import { recordedTransport, runBareRecorded, runNull } from '../lib/recorded.mjs';
import { makeRow } from '../lib/rows.mjs';
import { ServerProcess } from '../lib/server-process.mjs';
import { EVENTS_TOPIC } from '../lib/workload.mjs';
import { rounds } from './throughput.mjs';

const FIG = '2 Backlog replay';
const TOPIC = EVENTS_TOPIC;
const FAKE_URL = 'ws://127.0.0.1:9/sync/socket/websocket';

export async function run({ quick, runs, log }) {
  const count = quick ? 50_000 : 1_000_000;
  const workload = { topic: TOPIC, count, docs: 10_000, payloadBytes: 200 };
  const timeoutMs = quick ? 120_000 : 600_000;
  const sp = await ServerProcess.spawn();
  const rows = [];
  const extra = { workload: { ...workload, batch: 200, emission: 'frame only' } };
  try {
    const srv = await sp.start({ doubleEmission: false, singleEmission: 'frame' });
    const pub = await sp.call('publishBacklog', workload);
    const token = await sp.call('mint');
    const head = pub.head;
    log(`  backlog ${count} updates published in ${pub.ms.toFixed(0)} ms (server process)`);
    log('  wire:');
    const w = await rounds(
      runs,
      ['A', 'memory', 'null'],
      {
        A: () => runBare({ url: srv.url, token, topic: TOPIC, head }),
        memory: () => runKhala({ url: srv.url, token, topic: TOPIC, head }),
        null: () => runNull({ url: srv.url, token, topic: TOPIC }),
      },
      log,
      timeoutMs,
    );
    const rec = await runNull({ url: srv.url, token, topic: TOPIC, record: true });
    await sp.stop();
    const frames = rec.frames;
    extra.frames = { count: rec.count, bytes: rec.bytes };
    log('  in-process (recorded frames):');
    const i = await rounds(
      runs,
      ['A', 'memory'],
      {
        A: () => runBareRecorded({ frames, topic: TOPIC, head }),
        memory: () => runKhala({ url: FAKE_URL, token, topic: TOPIC, head, transport: recordedTransport(frames) }),
      },
      log,
      timeoutMs,
    );
    const s = (list) => list.map((ms) => ms / 1000);
    rows.push(makeRow({ id: 'replay.wire', figure: FIG, label: `${count.toLocaleString('en-US')} events to caught-up (wire)`, unit: 's', khala: s(w.ms.memory), baseline: s(w.ms.A), baselineName: 'A bare ws', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'replay.iso', figure: FIG, label: `${count.toLocaleString('en-US')} events, decode + apply only (in-process)`, unit: 's', khala: s(i.ms.memory), baseline: s(i.ms.A), baselineName: 'A bare ws', target: { kind: 'ratio', op: '<=', value: 1.8 } }));
    rows.push(makeRow({ id: 'replay.server_floor', figure: FIG, label: 'server + socket floor (null client, A)', unit: 's', khala: s(w.ms.null), baseline: s(w.ms.A), baselineName: 'A bare ws', note: 'null client: time until the subscribe reply, frames unparsed' }));
    extra.errors = { wire: w.errors, inProcess: i.errors };
  } finally {
    await sp.stop();
  }
  return { rows, extra };
}
