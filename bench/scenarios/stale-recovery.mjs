/* global fetch -- Node 20's fetch, the client's own HTTP path */
// Figure 3: stale-cursor recovery. A client whose SQLite store holds a cursor below the retention
// floor subscribes, gets stale_cursor (retention_floor_breach), fetches the paged snapshot
// (100,000 documents; --quick 20,000), replaces the topic in one transaction, resubscribes from
// the snapshot head and is live. Baseline: the same pages fetched and parsed with plain fetch.
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncClient } from '../../dist/index.js';
import { httpSnapshotSource } from '../../dist/http.js';
import { createSqliteStore } from '../../dist/sqlite.js';
import { makeRow } from '../lib/rows.mjs';
import { ServerProcess } from '../lib/server-process.mjs';
import { SNAPSHOT_TOPIC } from '../lib/workload.mjs';
import { rounds } from './throughput.mjs';

const FIG = '3 Stale-cursor recovery';
const TOPIC = SNAPSHOT_TOPIC;

async function plainFetch({ snapshotUrl, token }) {
  const t0 = performance.now();
  let pageToken = null;
  let docs = 0;
  let pages = 0;
  do {
    const url = `${snapshotUrl}/${encodeURIComponent(TOPIC)}?limit=500${pageToken ? `&page_token=${encodeURIComponent(pageToken)}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const body = await res.json();
    docs += body.docs.length;
    pages++;
    pageToken = body.next_page_token;
  } while (pageToken);
  return { ms: performance.now() - t0, docs, pages };
}

async function khalaRecovery({ url, snapshotUrl, token, expectDocs }) {
  const dir = mkdtempSync(join(tmpdir(), 'khala-bench-'));
  const store = createSqliteStore({ path: join(dir, 'bench.sqlite') });
  // A cursor below the retention floor: the subscribe is refused with stale_cursor (§3.2, §5.5).
  await store.commit({ topic: TOPIC, watermark: 1, documents: [] });
  const errors = [];
  const t0 = performance.now();
  const client = new SyncClient({ url, token, topics: [TOPIC], store, snapshot: httpSnapshotSource({ baseUrl: snapshotUrl }) });
  let bootstrapped = 0;
  const ms = await new Promise((resolve) => {
    client.on('error', (e) => errors.push(e.code));
    client.on('bootstrap', (b) => {
      bootstrapped = b.documents;
    });
    client.on('status', (s) => {
      if (s === 'live' && bootstrapped > 0) resolve(performance.now() - t0);
    });
    void client.connect();
  });
  if (client.listDocuments(TOPIC).length !== expectDocs) throw new Error(`recovered ${client.listDocuments(TOPIC).length} documents, expected ${expectDocs}`);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
  // stale_cursor is the expected trigger, not a problem.
  return { ms, errors: errors.filter((c) => c !== 'stale_cursor') };
}

export async function run({ quick, runs, log }) {
  const docs = quick ? 20_000 : 100_000;
  const workload = { topic: TOPIC, count: docs, docs, payloadBytes: 200, prefix: 'runtime/run_summary:run' };
  const sp = await ServerProcess.spawn();
  const rows = [];
  const extra = { workload: { ...workload, pageSize: 500, store: 'sqlite (synchronous=NORMAL, WAL)' } };
  try {
    const srv = await sp.start({ doubleEmission: false, singleEmission: 'frame' });
    const pub = await sp.call('publishBacklog', workload);
    // Retention moves past the client's cursor: its subscribe is refused with stale_cursor
    // (retention_floor_breach); the snapshot is built from the document table, not the journal.
    await sp.call('prune', { topic: TOPIC, keepAfter: pub.head - 1 });
    const token = await sp.call('mint');
    log(`  ${docs} documents published in ${pub.ms.toFixed(0)} ms (server process)`);
    const r = await rounds(
      runs,
      ['fetch', 'sqlite'],
      {
        fetch: () => plainFetch({ snapshotUrl: srv.snapshotUrl, token }),
        sqlite: () => khalaRecovery({ url: srv.url, snapshotUrl: srv.snapshotUrl, token, expectDocs: docs }),
      },
      log,
      quick ? 60_000 : 180_000,
    );
    const s = (list) => list.map((ms) => ms / 1000);
    rows.push(makeRow({ id: 'stale.sqlite', figure: FIG, label: `${docs.toLocaleString('en-US')}-doc snapshot to live, SQLite`, unit: 's', khala: s(r.ms.sqlite), baseline: s(r.ms.fetch), baselineName: 'plain fetch + JSON', target: { kind: 'ratio', op: '<=', value: 1.5 } }));
    extra.errors = r.errors;
  } finally {
    await sp.stop();
  }
  return { rows, extra };
}
