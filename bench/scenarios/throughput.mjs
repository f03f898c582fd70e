// Figure 1: replay throughput (updates/s) of a pinned backlog in sync:frame batches of 200,
// ~200-byte payloads, against baseline A (bare ws) and baseline B (phoenix), interleaved.
// Also: the same frames in-process (server and socket taken out), the null client (server floor),
// the fast-server wire mode (pre-encoded frames from a bare ws server), and, for information, the
// server's default double emission (full runs only) and verifyPayloadHash:'all'. --quick: 20,000 updates.
import { runBare, runKhala, runPhoenix } from '../lib/clients.mjs';
import { recordedSocketClass, recordedTransport, runBareRecorded, runNull } from '../lib/recorded.mjs';
import { makeRow, perSecond } from '../lib/rows.mjs';
import { measureStages } from '../lib/stages.mjs';
import { ServerProcess } from '../lib/server-process.mjs';
import { gc, withTimeout } from '../lib/stats.mjs';
import { EVENTS_TOPIC } from '../lib/workload.mjs';

const FIG = '1 Throughput';
const TOPIC = EVENTS_TOPIC;
const FAKE_URL = 'ws://127.0.0.1:9/sync/socket/websocket';

/** Run `order` contenders round-robin: one discarded warm-up round, then `runs` measured rounds. */
export async function rounds(runs, order, contenders, log, timeoutMs) {
  const ms = Object.fromEntries(order.map((k) => [k, []]));
  const errors = Object.fromEntries(order.map((k) => [k, []]));
  for (let r = 0; r <= runs; r++) {
    const line = [];
    for (const k of order) {
      gc();
      const res = await withTimeout(contenders[k](), timeoutMs, `${k} run ${r}`);
      if (r > 0) ms[k].push(res.ms);
      if (res.errors?.length) errors[k].push(...res.errors);
      line.push(`${k} ${res.ms.toFixed(0)}`);
    }
    log(`  ${r === 0 ? 'warm-up' : `run ${r}`}: ${line.join(', ')} ms`);
  }
  return { ms, errors };
}

export async function run({ quick, runs, log }) {
  const count = quick ? 20_000 : 200_000;
  const workload = { topic: TOPIC, count, docs: 10_000, payloadBytes: 200 };
  const timeoutMs = quick ? 60_000 : 180_000;
  const sp = await ServerProcess.spawn();
  const rows = [];
  const extra = { workload: { ...workload, batch: 200 } };
  try {
    // --- frame-only emission: every batch must be decoded from payload_bytes by everyone ---------
    const srv = await sp.start({ doubleEmission: false, singleEmission: 'frame' });
    const pub = await sp.call('publishBacklog', workload);
    const token = await sp.call('mint');
    const head = pub.head;
    const endpoint = srv.url.replace(/\/websocket$/, '');
    log(`  backlog ${count} updates published in ${pub.ms.toFixed(0)} ms (server process)`);
    const wire = {
      A: () => runBare({ url: srv.url, token, topic: TOPIC, head }),
      memory: () => runKhala({ url: srv.url, token, topic: TOPIC, head }),
      sqlite: () => runKhala({ url: srv.url, token, topic: TOPIC, head, storeKind: 'sqlite' }),
      B: () => runPhoenix({ endpoint, token, topic: TOPIC, head }),
      null: () => runNull({ url: srv.url, token, topic: TOPIC }),
    };
    log('  wire (server in its own process, frame-only emission):');
    const w = await rounds(runs, ['A', 'memory', 'sqlite', 'B', 'null'], wire, log, timeoutMs);
    const rec = await runNull({ url: srv.url, token, topic: TOPIC, record: true });
    const frames = rec.frames;
    extra.frames = { count: rec.count, bytes: rec.bytes };

    const tput = (k, src) => perSecond(count, src.ms[k]);
    rows.push(makeRow({ id: 'throughput.memory_vs_A', figure: FIG, label: 'memory store vs A (wire)', unit: 'updates/s', khala: tput('memory', w), baseline: tput('A', w), baselineName: 'A bare ws', note: 'information: the reference server bounds it (see the fast-server rows)' }));
    rows.push(makeRow({ id: 'throughput.sqlite_vs_A', figure: FIG, label: 'SQLite store vs A (wire)', unit: 'updates/s', khala: tput('sqlite', w), baseline: tput('A', w), baselineName: 'A bare ws', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'throughput.memory_vs_B', figure: FIG, label: 'memory store vs B (wire)', unit: 'updates/s', khala: tput('memory', w), baseline: tput('B', w), baselineName: 'B phoenix', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'throughput.sqlite_vs_B', figure: FIG, label: 'SQLite store vs B (wire)', unit: 'updates/s', khala: tput('sqlite', w), baseline: tput('B', w), baselineName: 'B phoenix', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'throughput.server_floor', figure: FIG, label: 'server + socket floor (null client, A)', unit: 'updates/s', khala: tput('null', w), baseline: tput('A', w), baselineName: 'A bare ws', note: 'null client: receives frames without parsing them; bounds every wire figure' }));

    // --- fast-server wire mode: the same frames, pre-encoded, pushed by a bare ws server -----------
    const fastSrv = await sp.call('startFast', { topic: TOPIC });
    log(`  wire, fast server (${fastSrv.frames} pre-encoded frames, ${(fastSrv.bytes / 2 ** 20).toFixed(1)} MiB):`);
    const fastWire = {
      A: () => runBare({ url: fastSrv.url, token, topic: TOPIC, head }),
      memory: () => runKhala({ url: fastSrv.url, token, topic: TOPIC, head }),
      sqlite: () => runKhala({ url: fastSrv.url, token, topic: TOPIC, head, storeKind: 'sqlite' }),
      null: () => runNull({ url: fastSrv.url, token, topic: TOPIC }),
    };
    const f = await rounds(runs, ['A', 'memory', 'sqlite', 'null'], fastWire, log, timeoutMs);
    rows.push(makeRow({ id: 'throughput.fast.memory_vs_A', figure: FIG, label: 'memory store vs A (wire, fast server)', unit: 'updates/s', khala: tput('memory', f), baseline: tput('A', f), baselineName: 'A bare ws', target: { kind: 'ratio', op: '>=', value: 0.6 } }));
    rows.push(makeRow({ id: 'throughput.fast.sqlite_vs_A', figure: FIG, label: 'SQLite store vs A (wire, fast server)', unit: 'updates/s', khala: tput('sqlite', f), baseline: tput('A', f), baselineName: 'A bare ws', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'throughput.fast.null', figure: FIG, label: 'fast server floor (null client)', unit: 'updates/s', khala: tput('null', f), baseline: tput('A', f), baselineName: 'A bare ws', target: { kind: 'abs', op: '>=', value: 400_000 }, note: 'null client: receives frames without parsing them; must not bound the wire figures' }));

    // --- the same frames in-process: decode + apply only -----------------------------------------
    log('  in-process (recorded frames, no server, no socket):');
    const iso = {
      A: () => runBareRecorded({ frames, topic: TOPIC, head }),
      memory: () => runKhala({ url: FAKE_URL, token, topic: TOPIC, head, transport: recordedTransport(frames) }),
      sqlite: () => runKhala({ url: FAKE_URL, token, topic: TOPIC, head, storeKind: 'sqlite', transport: recordedTransport(frames) }),
      B: () => runPhoenix({ endpoint: FAKE_URL.replace(/\/websocket$/, ''), token, topic: TOPIC, head, transport: recordedSocketClass(frames) }),
      verifyall: () => runKhala({ url: FAKE_URL, token, topic: TOPIC, head, transport: recordedTransport(frames), verifyPayloadHash: 'all' }),
    };
    const i = await rounds(runs, ['A', 'memory', 'sqlite', 'B', 'verifyall'], iso, log, timeoutMs);
    rows.push(makeRow({ id: 'throughput.iso.memory_vs_A', figure: FIG, label: 'memory store vs A (in-process)', unit: 'updates/s', khala: tput('memory', i), baseline: tput('A', i), baselineName: 'A bare ws', target: { kind: 'ratio', op: '>=', value: 0.6 } }));
    rows.push(makeRow({ id: 'throughput.iso.sqlite_vs_A', figure: FIG, label: 'SQLite store vs A (in-process)', unit: 'updates/s', khala: tput('sqlite', i), baseline: tput('A', i), baselineName: 'A bare ws', target: { kind: 'ratio', op: '>=', value: 0.35 } }));
    rows.push(makeRow({ id: 'throughput.iso.memory_vs_B', figure: FIG, label: 'memory store vs B (in-process)', unit: 'updates/s', khala: tput('memory', i), baseline: tput('B', i), baselineName: 'B phoenix', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'throughput.iso.sqlite_vs_B', figure: FIG, label: 'SQLite store vs B (in-process)', unit: 'updates/s', khala: tput('sqlite', i), baseline: tput('B', i), baselineName: 'B phoenix', note: 'information (no target in #11)' }));
    rows.push(makeRow({ id: 'throughput.iso.verifyall_vs_A', figure: FIG, label: "memory, verifyPayloadHash:'all' vs A (in-process)", unit: 'updates/s', khala: tput('verifyall', i), baseline: tput('A', i), baselineName: 'A bare ws', note: "information: what recomputing every socket body's payload_hash costs (the harness setting)" }));
    extra.errors = { wire: w.errors, fastWire: f.errors, inProcess: i.errors };

    // --- what bounds it: each step of the client's inbound path, µs per update --------------------
    extra.stages = await measureStages(frames, runs);
    log('  cost per update of each step (µs, median):');
    for (const s of extra.stages) log(`    ${s.usPerUpdate.toFixed(2).padStart(6)}  ${s.step}`);
    if (quick) return { rows, extra };

    // --- information: the server's default double emission ---------------------------------------
    const srv2 = await sp.start({});
    const pub2 = await sp.call('publishBacklog', workload);
    const token2 = await sp.call('mint');
    const endpoint2 = srv2.url.replace(/\/websocket$/, '');
    log('  wire, server default (double emission: sync:update_batch + sync:frame):');
    const d = await rounds(
      runs,
      ['A', 'memory', 'B'],
      {
        A: () => runBare({ url: srv2.url, token: token2, topic: TOPIC, head: pub2.head }),
        memory: () => runKhala({ url: srv2.url, token: token2, topic: TOPIC, head: pub2.head }),
        B: () => runPhoenix({ endpoint: endpoint2, token: token2, topic: TOPIC, head: pub2.head }),
      },
      log,
      timeoutMs,
    );
    rows.push(makeRow({ id: 'throughput.double.memory_vs_A', figure: FIG, label: 'memory vs A, double emission (wire)', unit: 'updates/s', khala: tput('memory', d), baseline: tput('A', d), baselineName: 'A bare ws', note: 'information: server default; A and khala-sync skip the sync:frame copy by seq (§2.5)' }));
    rows.push(makeRow({ id: 'throughput.double.memory_vs_B', figure: FIG, label: 'memory vs B, double emission (wire)', unit: 'updates/s', khala: tput('memory', d), baseline: tput('B', d), baselineName: 'B phoenix', note: 'information' }));
  } finally {
    await sp.stop();
  }
  return { rows, extra };
}
