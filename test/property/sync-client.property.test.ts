// Property: whatever order the protocol allows the server to deliver in — duplicates (the double
// emission and extra copies), cross-topic interleavings, dropped sockets, dead channels, failed
// commits, slow-consumer throttles and stale cursors answered by snapshots — a real SyncClient over
// the in-memory transport ends with exactly the journal model's documents and watermarks, applies
// no (topic, seq) twice, and skips none that a snapshot did not cover.
//
// Replay a failure with FC_SEED=<seed> FC_PATH=<path> (printed by fast-check); PROPERTY_RUNS=<n>
// changes the number of runs (default 1000, about 5 s).
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncDocument } from '../../src/model/types.js';
import { createMemoryNetwork } from '../../src/transport/memory-transport.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { StoreError } from '../../src/errors/store-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { FORBIDDEN_TOPIC, fold, scenarioArb, startCursor, type Action, type ModelDoc, type Scenario } from './journal-model.js';
import { ModelServer } from './model-server.js';

const NUM_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1000);
const SEED = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const PATH = process.env['FC_PATH'];

/**
 * Errors a correct client may report while the schedule misbehaves on purpose. `cursor_ahead_of_head`
 * is among them because a late copy of an older batch carries the head of its build time, which
 * SPEC.md A10 reports (a diagnostic; nothing is rewound).
 */
const EXPECTED_ERRORS = new Set<string>([ErrorCodes.STORE_FAILED, ErrorCodes.CHANNEL_CLOSED, ErrorCodes.SLOW_CONSUMER, ErrorCodes.CURSOR_AHEAD_OF_HEAD, ErrorCodes.FORBIDDEN_TOPIC]);

const realImmediate = globalThis.setImmediate;
const macrotask = (): Promise<void> => new Promise<void>((resolve) => realImmediate(resolve));
/** Store writes still in flight (see failingStore). */
let writesInFlight = 0;

/** Let the client finish everything that needs no virtual time, including slow store writes. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3 || (writesInFlight > 0 && i < 500); i++) {
    await macrotask();
    await vi.advanceTimersByTimeAsync(0);
  }
}

/**
 * The durable store shared by successive clients (an app restart opens the same database again).
 * Each client gets its own handle: commits take a macrotask (so frames delivered meanwhile must wait
 * in the client's inbound queue, SPEC.md A7), the next commit can be made to fail like a backend's
 * failed transaction, and a closed handle refuses writes, as a closed database connection would.
 */
class DurableStore {
  readonly inner = createMemoryStore();
  private failures = 0;

  arm(): void {
    this.failures++;
  }

  handle(): SyncStore {
    let closed = false;
    const open = (): void => {
      if (closed) throw new StoreError(ErrorCodes.STORE_FAILED, 'store handle is closed');
    };
    const { inner } = this;
    return {
      kind: 'memory',
      load: async (t) => (open(), inner.load(t)),
      commit: async (c) => {
        writesInFlight++;
        try {
          await macrotask();
          open();
          if (this.failures > 0) {
            this.failures--;
            throw new StoreError(ErrorCodes.STORE_FAILED, 'scripted commit failure', { topic: c.topic, retryable: true });
          }
          await inner.commit(c);
        } finally {
          writesInFlight--;
        }
      },
      replaceTopic: async (t, d, w) => (open(), inner.replaceTopic(t, d, w)),
      discardSnapshot: async (t) => (open(), inner.discardSnapshot(t)),
      stageSnapshot: async (t, d) => (open(), inner.stageSnapshot(t, d)),
      commitSnapshot: async (t, w) => (open(), inner.commitSnapshot(t, w)),
      putHydrated: async (d) => (open(), inner.putHydrated(d)),
      close: async () => {
        closed = true;
      },
    };
  }
}

function docsMap(docs: readonly SyncDocument[]): Map<string, ModelDoc> {
  return new Map(docs.map((d) => [d.docKey, { docVersion: d.docVersion, payload: d.payload as { w: number } }]));
}

function sameDocs(a: Map<string, ModelDoc>, b: Map<string, ModelDoc>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.docVersion !== v.docVersion || w.payload.w !== v.payload.w) return false;
  }
  return true;
}

const show = (m: Map<string, ModelDoc>): string => [...m].map(([k, d]) => `${k}=v${d.docVersion}@${d.payload.w}`).sort().join(' ');

/** The running app: its current client, and how to replace it (restart). */
interface App {
  client: SyncClient;
  restart(): Promise<void>;
}

async function perform(sc: Scenario, action: Action, server: ModelServer, app: App, durable: DurableStore, names: string[]): Promise<void> {
  const client = app.client;
  switch (action.kind) {
    case 'deliver':
      server.deliver(action.n);
      break;
    case 'burst':
      for (let i = 0; i < action.count; i++) server.deliver(action.n + i);
      break;
    case 'publish':
      server.publish(action.n, action.count);
      break;
    case 'throttle':
      server.throttle(action.n);
      break;
    case 'want_forbidden':
      if (!client.getSnapshot().topics[FORBIDDEN_TOPIC]) void client.subscribe([FORBIDDEN_TOPIC]);
      break;
    case 'prune': {
      if (!sc.snapshots) break; // see Scenario.snapshots
      // Only prunes a correct client can survive without losing events: never a topic the client
      // has no cursor for, never during its recovery (a second stale there is the R6 loop guard),
      // and never past what the open socket already queued (a cursor-less catch-up starts there).
      const topic = names[action.n % names.length]!;
      const phase = client.getSnapshot().topics[topic]?.phase;
      if (client.getWatermark(topic) === undefined || phase === 'recovering' || phase === 'failed') break;
      const limit = server.pruneLimit(topic);
      server.prune(topic, action.to % (limit + 1));
      break;
    }
    case 'drop':
      server.drop();
      break;
    case 'channel_error':
      server.channelError();
      break;
    case 'store_failure':
      durable.arm();
      break;
    case 'resync':
      coverage.resyncs++;
      client.resync(names[action.n % names.length]!);
      break;
    case 'restart': {
      // A restart in the middle of a recovery is out of scope here (see the harness tests).
      const snap = app.client.getSnapshot().topics;
      if (server.pendingSnapshots() > 0 || Object.values(snap).some((t) => t.phase === 'recovering')) break;
      await app.restart();
      break;
    }
    case 'resolve_snapshot':
      if (server.pendingSnapshots() > 0) server.resolveSnapshot(action.n);
      break;
  }
  await settle();
}

/** What the runs exercised, summed over all of them (checked so the property cannot go vacuous). */
const coverage = { resyncs: 0, runs: 0, applied: 0, duplicatesDelivered: 0, bootstraps: 0, stale: 0, cursorlessRecoveries: 0, throttles: 0, storeFailures: 0, reconnects: 0, forbidden: 0, restarts: 0 };

async function runScenario(sc: Scenario): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 0 });
  const server = new ModelServer(sc);
  const durable = new DurableStore();
  const inner = durable.inner;
  const names = sc.topics.map((t) => t.topic);
  let client: SyncClient | undefined;
  try {
    for (const t of sc.topics) {
      const c0 = startCursor(t);
      if (c0 === undefined) continue;
      const docs = [...fold(t.events.slice(0, t.startIndex + 1))].map(([docKey, d]): SyncDocument => ({ topic: t.topic, docKey, docVersion: d.docVersion, payload: d.payload, payloadHash: null, watermark: c0, hydrationPending: false }));
      await inner.replaceTopic(t.topic, docs, c0);
    }
    const net = createMemoryNetwork();
    net.onConnection = (peer) => server.accept(peer);
    const applied = new Map<string, number[]>(names.map((n) => [n, []]));
    const bootHeads = new Map<string, number>();
    const errors: string[] = [];
    const build = (): SyncClient => {
      const c = new SyncClient({
        url: 'ws://127.0.0.1:1/sync/socket/websocket',
        token: 'property',
        topics: names,
        store: durable.handle(),
        transport: net.factory,
        snapshot: sc.snapshots ? server.snapshot : undefined,
        reconnectDelay: () => 0,
      });
      c.on('updates', (b) => applied.get(b.topic)!.push(...b.updates.map((u) => u.watermark)));
      c.on('bootstrap', (b) => bootHeads.set(b.topic, Math.max(bootHeads.get(b.topic) ?? 0, b.headWatermark)));
      c.on('error', (e) => errors.push(`${e.code}${e.topic ? `@${e.topic}` : ''}: ${e.message}`));
      c.on('stale', () => {
        coverage.stale++;
        if (!sc.snapshots) coverage.cursorlessRecoveries++;
      });
      return c;
    };
    client = build();
    const app: App = {
      client,
      restart: async () => {
        server.trace.push('restart');
        coverage.restarts++;
        await app.client.close();
        await settle();
        client = app.client = build();
        await app.client.connect();
      },
    };

    await client.connect();
    await settle();
    for (const action of sc.actions) await perform(sc, action, server, app, durable, names);

    // Drain: a healthy server publishes the rest and delivers everything.
    server.publishAll();
    for (let i = 0, idle = 0; i < 5000 && idle < 3; i++) {
      if (server.pendingSnapshots() > 0) server.resolveSnapshot(0);
      else if (!server.deliver(0)) idle++;
      else idle = 0;
      await settle();
    }

    coverage.runs++;
    coverage.applied += [...applied.values()].reduce((n, l) => n + l.length, 0);
    coverage.bootstraps += [...bootHeads.keys()].length;
    coverage.throttles += errors.filter((e) => e.startsWith(ErrorCodes.SLOW_CONSUMER)).length;
    coverage.storeFailures += errors.filter((e) => e.startsWith(ErrorCodes.STORE_FAILED)).length;
    coverage.reconnects += server.trace.filter((l) => l === 'accept').length - 1;
    coverage.duplicatesDelivered += server.duplicateDeliveries;
    coverage.forbidden += server.trace.filter((l) => l === 'forbidden').length;

    const problems: string[] = [];
    const c = client;
    if (c.status !== 'live') problems.push(`status is ${c.status}, not live`);
    const stored = await inner.load(names);
    for (const t of sc.topics) {
      const head = server.head(t.topic);
      const seqs = applied.get(t.topic)!;
      const c0 = startCursor(t);
      const journal = new Set(t.events.map((e) => e.watermark));
      const phase = c.getSnapshot().topics[t.topic]?.phase;
      if (phase !== 'live') problems.push(`${t.topic}: phase ${phase}`);
      for (let i = 1; i < seqs.length; i++) if (seqs[i]! <= seqs[i - 1]!) problems.push(`${t.topic}: applied out of order or twice: ${seqs.join(',')}`);
      for (const s of seqs) {
        if (!journal.has(s)) problems.push(`${t.topic}: applied ${s}, which is not in the journal`);
        if (c0 !== undefined && s <= c0) problems.push(`${t.topic}: applied ${s}, at or below the starting cursor ${c0}`);
      }
      const covered = bootHeads.get(t.topic) ?? 0;
      const missing = t.events.filter((e) => (c0 === undefined || e.watermark > c0) && e.watermark <= head && e.watermark > covered && !seqs.includes(e.watermark));
      if (missing.length > 0) problems.push(`${t.topic}: skipped ${missing.map((e) => e.watermark).join(',')} (applied ${seqs.join(',') || 'none'}, snapshot head ${covered || 'none'})`);
      if (c.getWatermark(t.topic) !== head) problems.push(`${t.topic}: watermark ${c.getWatermark(t.topic)} ≠ journal head ${head}`);
      if (stored.watermarks[t.topic] !== head) problems.push(`${t.topic}: stored watermark ${stored.watermarks[t.topic]} ≠ journal head ${head}`);
      const model = fold(t.events);
      const have = docsMap(c.listDocuments(t.topic));
      if (!sameDocs(model, have)) problems.push(`${t.topic}: documents\n      client ${show(have)}\n      model  ${show(model)}`);
      const durable = docsMap(stored.documents.filter((d) => d.topic === t.topic));
      if (!sameDocs(model, durable)) problems.push(`${t.topic}: stored documents\n      store ${show(durable)}\n      model ${show(model)}`);
    }
    const forbiddenPhase = c.getSnapshot().topics[FORBIDDEN_TOPIC]?.phase;
    if (forbiddenPhase !== undefined && forbiddenPhase !== 'failed') problems.push(`${FORBIDDEN_TOPIC}: phase ${forbiddenPhase}, expected failed`);
    const unexpected = errors.filter((e) => !EXPECTED_ERRORS.has(e.split(/[@:]/)[0]!));
    if (unexpected.length > 0) problems.push(`unexpected errors: ${unexpected.join(' | ')}`);
    if (problems.length > 0) {
      throw new Error(`${problems.join('\n  ')}\n  server trace (last 30):\n    ${server.trace.slice(-30).join('\n    ')}`);
    }
  } finally {
    await client?.close();
    vi.useRealTimers();
  }
}

describe('SyncClient against the journal model (fast-check)', () => {
  it(`converges exactly once under any protocol-legal delivery schedule (${NUM_RUNS} runs)`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: NUM_RUNS, seed: SEED, path: PATH });
    if (process.env["PROPERTY_STATS"]) console.info(coverage);
    // Replaying one counterexample (FC_PATH) runs too little to cover everything.
    if (PATH === undefined && NUM_RUNS >= 50) {
      for (const [what, n] of Object.entries(coverage)) expect(n, `the schedules never exercised ${what}: ${JSON.stringify(coverage)}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
