// Property: whatever the app calls, at whatever connection phase (connecting, joining, replaying,
// a snapshot bootstrap mid-page, a token refresh's standby socket, backoff, live), and whatever the
// reference server does meanwhile (restart on the same port, prune under a cursor, pointer-mode
// documents to hydrate), and probes, network blips or a store closed from under it, every promise
// the API returns settles, nothing is thrown unhandled, no (topic, seq) is applied twice and no
// watermark goes backwards; after `close()` the store holds the last applied watermark, and a new
// client on the same store converges to the server's documents (nothing skipped).
//
// Replay a failure with FC_SEED=<seed> FC_PATH=<path> (printed by fast-check); LIFECYCLE_RUNS=<n>
// changes the number of runs (default 60, about 7 s).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/watermarks/sqlite-store.js';
import { converged, publishRange, RUNS, until, WORKERS } from './harness.js';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

const NUM_RUNS = Number(process.env['LIFECYCLE_RUNS'] ?? 60);
const SEED = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const PATH = process.env['FC_PATH'];
const TOPICS = [RUNS, WORKERS];

type Op =
  | { op: 'wait'; ms: number }
  | { op: 'connect' | 'connectTwice' | 'close' | 'closeTwice' | 'restart' | 'whenLiveAbort' | 'storeClose' | 'probe' | 'networkBlip' }
  | { op: 'resubscribe' | 'resync' | 'publish' | 'publishPointer' | 'prune'; topic: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 2, arbitrary: fc.constantFrom<Op>({ op: 'connect' }, { op: 'connectTwice' }, { op: 'restart' }, { op: 'whenLiveAbort' }, { op: 'storeClose' }, { op: 'probe' }, { op: 'networkBlip' }) },
  { weight: 1, arbitrary: fc.constantFrom<Op>({ op: 'close' }, { op: 'closeTwice' }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('resubscribe' as const, 'resync' as const, 'publish' as const, 'publishPointer' as const, 'prune' as const), topic: fc.constantFrom(...TOPICS) }) },
);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

/** Promises the API returned, by label; each is observed at once (a rejection is an outcome here). */
class Pending {
  private readonly left = new Set<string>();
  private readonly all: Array<Promise<unknown>> = [];
  push(...entries: Array<[string, Promise<unknown>]>): void {
    for (const [label, p] of entries) {
      this.left.add(label);
      this.all.push(p.then(() => this.left.delete(label), () => this.left.delete(label)));
    }
  }
  /** The labels still pending after `ms`. */
  async unsettled(ms: number): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.all), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return [...this.left];
  }
}

function watch(client: SyncClient, violations: string[]): Map<string, number> {
  const last = new Map<string, number>();
  client.on('updates', (b) => {
    for (const u of b.updates) {
      const prev = last.get(u.topic) ?? -1;
      if (u.watermark <= prev) violations.push(`${u.topic}:${u.watermark} applied after ${prev}`);
      last.set(u.topic, u.watermark);
    }
  });
  const marks = new Map<string, number>();
  client.onChange(() => {
    for (const t of TOPICS) {
      const w = client.getWatermark(t);
      if (w === undefined) continue;
      if (w < (marks.get(t) ?? 0)) violations.push(`${t} watermark went back ${marks.get(t)} → ${w}`);
      marks.set(t, w);
    }
  });
  return marks;
}

/** Handles that keep a Node process alive (timers, sockets, servers), counted by kind. */
function resources(): Record<string, number> {
  const count: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) count[r] = (count[r] ?? 0) + 1;
  return count;
}
let baseline: Record<string, number> = {};

async function run(ops: Op[]): Promise<void> {
  const srv: ReferenceServer = await startReferenceServer({ port: 0, snapshotPageSize: 3, tokenRefreshAfterSeconds: 0.15 });
  const path = join(mkdtempSync(join(tmpdir(), 'ks-life-')), 's.sqlite');
  publishRange(srv, RUNS, 30);
  publishRange(srv, WORKERS, 12);
  const options = { url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }), hydrator: httpHydrator({ baseUrl: srv.hydrateUrl }), reconnectDelay: () => 10, topics: TOPICS } as const;
  const store = createSqliteStore({ path });
  const client = new SyncClient({ ...options, store });
  const violations: string[] = [];
  const marks = watch(client, violations);
  const pending = new Pending();
  let closed = false;
  try {
    // Connected from the start, so that the ops land in every connection phase.
    for (const [i, o] of [{ op: 'connect' } as Op, ...ops].entries()) {
      const label = `${i}:${o.op}`;
      switch (o.op) {
        case 'wait': await sleep(o.ms); break;
        case 'connect': pending.push([label, client.connect()]); break;
        case 'connectTwice': pending.push([label, client.connect()], [`${label}b`, client.connect()]); break;
        case 'close': closed = true; pending.push([label, client.close()]); break;
        case 'closeTwice': closed = true; pending.push([label, client.close()], [`${label}b`, client.close()]); break;
        case 'restart': pending.push([label, srv.restart()]); break;
        case 'whenLiveAbort': {
          const ac = new AbortController();
          pending.push([label, client.whenLive(undefined, { signal: ac.signal })]);
          setTimeout(() => ac.abort(), 15);
          break;
        }
        case 'resubscribe':
          pending.push([label, client.unsubscribe(o.topic)], [`${label}b`, client.subscribe(o.topic)]);
          break;
        case 'resync': client.resync(o.topic); break;
        case 'publish': publishRange(srv, o.topic, 7, 5, `p${i}`); break;
        case 'publishPointer': srv.publish(o.topic, [{ docKey: `ptr${i % 3}`, payload: { i }, pointer: true }]); break;
        case 'probe': pending.push([label, client.probeConnection(20)]); break;
        case 'networkBlip':
          client.setNetworkAvailable(false);
          setTimeout(() => client.setNetworkAvailable(true), 25);
          break;
        case 'storeClose': pending.push([label, store.close()]); break;
        case 'prune': srv.prune(o.topic, srv.head(o.topic) - 1); break;
      }
    }
    pending.push(['final-close', client.close()]);
    expect(await pending.unsettled(8000)).toEqual([]);
    await expect(client.connect()).rejects.toMatchObject({ code: 'client_closed' });
    const peek = createSqliteStore({ path });
    const stored = await peek.load(TOPICS);
    await peek.close();
    for (const t of TOPICS) expect(stored.watermarks[t], `stored ${t}`).toBe(marks.get(t));
    // Nothing skipped: a new client on the same store converges to the server.
    const again = new SyncClient({ ...options, store: createSqliteStore({ path }) });
    watch(again, violations);
    await again.connect();
    await until(() => TOPICS.every((t) => converged(srv, again, t) && again.getWatermark(t) === srv.head(t)), `converged (closed in ops: ${closed})`, 8000);
    await again.close();
    expect(violations).toEqual([]);
    expect(unhandled).toEqual([]);
  } finally {
    await client.close();
    await srv.close();
  }
  // A closed handle is released a moment after its close callback: poll briefly.
  const over = (): string[] => Object.entries(resources()).filter(([kind, n]) => n > (baseline[kind] ?? 0)).map(([kind]) => kind);
  for (let i = 0; i < 20 && over().length > 0; i++) await sleep(10);
  expect(over(), 'left running after close').toEqual([]);
}

describe('lifecycle races against the reference server', () => {
  it(`every API call at every phase settles, applies exactly once and closes cleanly (${NUM_RUNS} runs)`, async () => {
    baseline = resources();
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), run), { numRuns: NUM_RUNS, seed: SEED, path: PATH, endOnFailure: true });
  }, 60_000);
});
