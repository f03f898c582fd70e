import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { SyncClient } from '../client/sync-client.js';
import { startReferenceServer, type ReferenceServer } from '../server/index.js';
import { createSqliteStore } from '../sqlite.js';
import { ExitCodes, UsageError } from './exit-codes.js';
import { httpSnapshotSource, tokenEndpoint } from '../http.js';

const TOPIC = 'runtime.run_summaries';
const DOCS = 40;

interface Step {
  name: string;
  ok: boolean;
  detail: string;
}

/** The demo's running evidence: every applied seq across every client run. */
class Ledger {
  readonly seen = new Set<number>();
  duplicates = 0;
  record(seqs: number[]): void {
    for (const s of seqs) {
      if (this.seen.has(s)) this.duplicates++;
      this.seen.add(s);
    }
  }
}

function publish(server: ReferenceServer, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    const run = `run_${i % DOCS}`;
    server.publish(TOPIC, [{ docKey: `runtime/run_summary:${run}`, payload: { run_id: run, status: i % 9 === 0 ? 'finished' : 'running', event_count: i, note: 'é✓' } }]);
  }
}

function waitFor(client: SyncClient, what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ok()) return resolve();
    const timer = setTimeout(() => {
      client.off('updates', check).off('status', check).off('bootstrap', check);
      reject(new Error(`timed out waiting for ${what} (status ${client.status}, watermark ${client.getWatermark(TOPIC)})`));
    }, timeoutMs);
    function check(): void {
      if (!ok()) return;
      clearTimeout(timer);
      client.off('updates', check).off('status', check).off('bootstrap', check);
      resolve();
    }
    client.on('updates', check).on('status', check).on('bootstrap', check);
  });
}

function sameDocuments(server: ReferenceServer, client: SyncClient): boolean {
  const want = server.documents(TOPIC);
  const have = client.listDocuments(TOPIC);
  if (have.length !== want.size) return false;
  return have.every((d) => {
    const w = want.get(d.docKey);
    return w !== undefined && w.docVersion === d.docVersion && isDeepStrictEqual(w.payload, d.payload);
  });
}

/**
 * `khala-sync demo`: replay → live → restart and resume → stale cursor → snapshot bootstrap, on an
 * embedded reference server and a SQLite store in a temp dir. Exit 0 only if every step held.
 */
export async function runDemo(argv: string[]): Promise<number> {
  let keep = false;
  try {
    keep = parseArgs({ args: argv, options: { 'keep-store': { type: 'boolean', default: false } } }).values['keep-store'] ?? false;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const started = Date.now();
  const say = (text: string): void => void process.stdout.write(`${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s  ${text}\n`);
  const steps: Step[] = [];
  const check = (name: string, ok: boolean, detail: string): void => {
    steps.push({ name, ok, detail });
    say(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  };
  const dir = mkdtempSync(join(tmpdir(), 'khala-sync-demo-'));
  const dbPath = join(dir, 'client.sqlite');
  const server = await startReferenceServer({ port: 0 });
  const ledger = new Ledger();
  const runs: SyncClient[] = [];
  const newClient = (): { client: SyncClient; applied: number[]; stale: number; bootstraps: number } => {
    const client = new SyncClient({ url: server.url, token: tokenEndpoint({ url: server.tokenUrl }), store: createSqliteStore({ path: dbPath }), topics: [TOPIC], snapshot: httpSnapshotSource({ baseUrl: server.snapshotUrl }) });
    const run = { client, applied: [] as number[], stale: 0, bootstraps: 0 };
    client.on('updates', (b) => {
      const seqs = b.updates.map((u) => u.watermark);
      run.applied.push(...seqs);
      ledger.record(seqs);
    });
    client.on('stale', () => run.stale++);
    client.on('bootstrap', () => run.bootstraps++);
    client.on('error', (e) => say(`     (reported ${e.code}: ${e.message})`));
    runs.push(client);
    return run;
  };
  try {
    say(`reference server on ${server.httpUrl}; client store ${dbPath}`);
    publish(server, 1, 1000);
    say(`published 1000 events on ${TOPIC} (${DOCS} documents); head ${server.head(TOPIC)}`);

    const r1 = newClient();
    await r1.client.connect();
    await waitFor(r1.client, 'replay', () => r1.client.status === 'live' && r1.client.getWatermark(TOPIC) === server.head(TOPIC));
    check('replay', r1.applied.length === 1000 && ledger.duplicates === 0, `${r1.applied.length} updates applied, caught up at watermark ${r1.client.getWatermark(TOPIC)}`);

    for (let i = 0; i < 50; i++) publish(server, 1001 + i, 1);
    await waitFor(r1.client, 'live tail', () => r1.client.getWatermark(TOPIC) === server.head(TOPIC));
    check('live', r1.applied.length === 1050 && ledger.duplicates === 0, `50 events published while live, each applied once (watermark ${r1.client.getWatermark(TOPIC)})`);
    await r1.client.close();

    publish(server, 1051, 200);
    say('client closed; 200 more events published while it was away');
    const r2 = newClient();
    await r2.client.subscribe([]); // wait for stored cursors to load
    const resumedFrom = r2.client.getWatermark(TOPIC);
    await r2.client.connect();
    await waitFor(r2.client, 'resume', () => r2.client.status === 'live' && r2.client.getWatermark(TOPIC) === server.head(TOPIC));
    check('restart + resume', resumedFrom === 1050 && r2.applied.length === 200 && r2.applied[0] === 1051 && ledger.duplicates === 0, `resumed after watermark ${resumedFrom}, applied exactly ${r2.applied.length} new updates, 0 duplicates`);
    await r2.client.close();

    publish(server, 1251, 300);
    server.prune(TOPIC, server.head(TOPIC) - 20);
    say(`300 more events, then the journal was pruned: retention floor ${server.head(TOPIC) - 20} is past the client's cursor ${resumedFrom! + 200}`);
    const r3 = newClient();
    await r3.client.connect();
    await waitFor(r3.client, 'stale bootstrap', () => r3.bootstraps > 0 && r3.client.status === 'live' && r3.client.getWatermark(TOPIC) === server.head(TOPIC));
    check('stale cursor → snapshot bootstrap', r3.stale === 1 && r3.bootstraps === 1 && sameDocuments(server, r3.client), `one stale_cursor, one snapshot of ${r3.client.listDocuments(TOPIC).length} documents, resumed live at ${r3.client.getWatermark(TOPIC)}`);

    publish(server, 1551, 25);
    await waitFor(r3.client, 'post-bootstrap live', () => r3.client.getWatermark(TOPIC) === server.head(TOPIC));
    check('no gap, no duplicate', sameDocuments(server, r3.client) && ledger.duplicates === 0, `after 25 more live events the client holds exactly the server's ${server.documents(TOPIC).size} documents at head ${server.head(TOPIC)}; ${ledger.duplicates} duplicate applies`);
  } catch (err) {
    check('demo', false, err instanceof Error ? err.message : String(err));
  } finally {
    for (const c of runs) await c.close().catch(() => undefined);
    await server.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  const failed = steps.filter((s) => !s.ok);
  process.stdout.write(`\nverdict: ${failed.length === 0 ? 'PASS' : 'FAIL'} — ${steps.length - failed.length}/${steps.length} steps held\n`);
  return failed.length === 0 ? ExitCodes.OK : ExitCodes.FATAL;
}
