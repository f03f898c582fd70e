import { join } from 'node:path';
import type { TokenSource } from '../client/token-provider.js';
import { startReferenceServer } from '../server/reference-server.js';
import type { ReferenceServerOptions } from '../server/options.js';
import type { JournalEntry, ReferenceServer } from '../server/types.js';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../testing/fault-proxy.js';
import { seededRandom, type SeededRandom } from '../testing/seeded-random.js';
import type { JsonValue } from '../util/json.js';
import { Ledger, type Observed, type TopicTruth } from './invariant.js';
import { Probe, until, type ProbeOptions } from './probe.js';
import { ScenarioFailure, type ScenarioContext } from './scenario.js';

export const RUNS = 'runtime.run_summaries';
export const WORKERS = 'runtime.codex_worker_summaries';
export const EVENTS = 'runtime.codex_worker_events';
export const NOTES = 'runtime.notifications';

/** Publish options: how many distinct documents, their key prefix. */
export interface PublishOptions {
  docs?: number;
  prefix?: string;
}

/** What the assertions need of a scenario's world: where its truth comes from and how strictly to compare. */
export interface TruthView {
  readonly mode: 'embedded' | 'deployment';
  readonly topics: string[];
  readonly ledger: Ledger;
  /** Exact comparison (embedded) or "at least the truth" (deployment). */
  readonly exact: boolean;
  /** What a converged client holds, per topic. */
  truths(topics?: string[]): Promise<TopicTruth[]>;
  /** Embedded only: the truth as of now, from the ledger (undefined against a deployment). */
  ledgerTruths(topics?: string[]): TopicTruth[] | undefined;
}

/** A scenario's world: the target (embedded server or deployment), its truth, proxies and probes. */
export interface Env extends TruthView {
  /** Direct socket URL of the target. */
  readonly url: string;
  readonly snapshotUrl: string | undefined;
  /** The embedded server (throws in deployment mode). */
  readonly server: ReferenceServer;
  readonly rnd: SeededRandom;
  /** Token source for clients, optionally through a proxy's HTTP side (embedded only). */
  token(via?: FaultProxy): TokenSource;
  /** Start a proxy in front of the target (closed after the scenario). */
  proxy(options?: Omit<FaultProxyOptions, 'target'>): Promise<FaultProxy>;
  /** A probe with the harness defaults (fast seeded backoff), closed after the scenario. */
  probe(options?: Partial<ProbeOptions> & { via?: FaultProxy; label?: string }): Probe;
  /** A file path in the scenario's temp dir. */
  path(name: string): string;
  /** Append `count` events to `topic` (embedded only); documents cycle over `docs` keys. */
  publish(topic: string, count: number, options?: PublishOptions): JournalEntry[];
  /** Command-line target and token for a spawned `khala-sync tail` (the token goes in the environment, never argv). */
  tailTarget(): { args: string[]; env: Record<string, string> };
}

const TEXT = 'é✓日本🙂';

function payload(topic: string, n: number, key: string, rnd: SeededRandom): JsonValue {
  return { topic_kind: topic.split('.')[1] ?? topic, key, n, status: rnd.pick(['queued', 'running', 'finished', 'failed']), note: TEXT, nested: { list: [n, n * 2], flag: n % 2 === 0 } };
}

/** Observed view of a live client. */
export function observe(probe: Probe): Observed {
  return { watermark: (t) => probe.client.getWatermark(t), documents: (t) => probe.client.listDocuments(t) };
}

/** Events kept per proxy in the report (the rest are counted). */
const FAULT_LOG_EVENTS = 100;

/** A proxy's seed, counters and first fault events (timing stripped: the schedule replays from the seed). */
export function faultLog(p: FaultProxy): Record<string, unknown> {
  const s = p.stats();
  return {
    seed: p.seed,
    connections: s.connections,
    cuts: s.cuts,
    faults: s.faults,
    to_client: s.toClient,
    to_server: s.toServer,
    http: s.http,
    events: p.events().slice(0, FAULT_LOG_EVENTS).map(({ atMs: _t, n: _n, ...e }) => e),
  };
}

/** Reconnect delays for harness clients: seeded full jitter, 40 ms doubling to 1 s. */
export function fastBackoff(rnd: SeededRandom): (attempt: number) => number {
  return (attempt) => Math.floor(rnd.next() * Math.min(40 * 2 ** Math.min(attempt - 1, 10), 1000));
}

/**
 * Open a scenario's world. Embedded: a fresh reference server with `server` options (closed after
 * the scenario). Deployment: the `--url` target, whose truth comes from an oracle client that
 * replays every topic from zero without faults.
 */
export async function openEnv(ctx: ScenarioContext, spec: { topics: string[]; server?: ReferenceServerOptions }): Promise<Env> {
  const rnd = seededRandom(ctx.seed);
  const ledger = new Ledger();
  const target = ctx.target;
  let server: ReferenceServer | undefined;
  if (target.kind === 'embedded') {
    server = await startReferenceServer({ port: 0, ...spec.server });
    const s = server;
    ctx.defer(() => s.close());
  }
  const topics = target.kind === 'embedded' ? spec.topics : target.topics;
  const url = server ? server.url : target.kind === 'deployment' ? target.url : '';
  const snapshotUrl = server ? server.snapshotUrl : target.kind === 'deployment' ? target.snapshotUrl : undefined;
  const probeRnd = rnd.fork('probes');
  let probes = 0;
  let proxies = 0;
  const env: Env = {
    mode: target.kind,
    topics,
    url,
    snapshotUrl,
    get server(): ReferenceServer {
      if (!server) throw new ScenarioFailure('this step needs the embedded server');
      return server;
    },
    ledger,
    rnd,
    exact: target.kind === 'embedded',
    token(via) {
      if (target.kind === 'deployment') return target.token;
      return { url: via ? via.via(server!.tokenUrl) : server!.tokenUrl };
    },
    async proxy(options = {}) {
      proxies += 1;
      const p = await startFaultProxy({ target: url, seed: options.seed ?? rnd.fork(`proxy${proxies}`).seed, ...options });
      ctx.defer(() => p.close());
      ctx.collect(`proxy${proxies}`, () => faultLog(p));
      return p;
    },
    probe(options = {}) {
      const { via, label, ...rest } = options;
      probes += 1;
      const snap = snapshotUrl && via && server ? via.via(snapshotUrl) : snapshotUrl;
      const probe = new Probe({
        url: via ? via.url : url,
        token: env.token(via),
        topics,
        snapshotUrl: snap,
        reconnectDelay: fastBackoff(probeRnd.fork(label ?? `p${probes}`)),
        allowInsecure: target.kind === 'deployment' ? target.allowInsecure : false,
        ...rest,
      });
      ctx.defer(() => probe.close());
      return probe;
    },
    path: (name) => join(ctx.tmpDir, name),
    tailTarget(): { args: string[]; env: Record<string, string> } {
      if (target.kind === 'embedded') return { args: ['--url', url, '--token-url', server!.tokenUrl], env: {} };
      const args = ['--url', url, ...(target.allowInsecure ? ['--allow-insecure'] : [])];
      if (typeof target.token === 'string') return { args, env: { KHALA_SYNC_TOKEN: target.token } };
      if (typeof target.token === 'object') return { args: [...args, '--token-url', target.token.url], env: {} };
      throw new ScenarioFailure('a spawned client needs --token or --token-url');
    },
    publish(topic, count, options = {}) {
      const s = env.server;
      const docs = options.docs ?? 20;
      const prefix = options.prefix ?? `${topic.split('.')[1] ?? 'doc'}`;
      const out: JournalEntry[] = [];
      for (let i = 0; i < count; i++) {
        const key = `${prefix}:${rnd.int(0, docs - 1)}`;
        const entries = s.publish(topic, [{ docKey: key, payload: payload(topic, ledger.all(topic).length + 1, key, rnd) }]);
        ledger.record(entries);
        out.push(...entries);
      }
      return out;
    },
    ledgerTruths(list = topics) {
      return server ? list.map((t) => ledger.truth(t)) : undefined;
    },
    async truths(list = topics) {
      if (server) return list.map((t) => ledger.truth(t));
      return oracle(env, list, ctx);
    },
  };
  return env;
}

/** What the oracle needs: the target's URLs and token, the ledger it rewrites, a seed source. */
export type OracleTarget = Pick<Env, 'url' | 'snapshotUrl' | 'ledger' | 'rnd'> & { token(): TokenSource };

/**
 * Deployment truth: a clean client replays every topic from zero, no faults, until caught up; what
 * it applied becomes the ledger (the journal as a client can see it). `client` adds client options
 * (the Spacetime lane).
 */
export async function oracle(env: OracleTarget, topics: string[], ctx: ScenarioContext, client: Partial<ProbeOptions> = {}): Promise<TopicTruth[]> {
  const insecure = ctx.target.kind === 'deployment' && ctx.target.allowInsecure;
  const probe = new Probe({ url: env.url, token: env.token(), topics, snapshotUrl: env.snapshotUrl, reconnectDelay: fastBackoff(env.rnd.fork('oracle')), allowInsecure: insecure, recordUpdates: true, ...client });
  try {
    await probe.start();
    await until(() => probe.client.status === 'live' && topics.every((t) => probe.log.caughtUp.some((c) => c.topic === t)), 'the oracle client to catch up', 60_000, ctx.signal);
    for (const t of topics) {
      const entries = probe.updates
        .filter((u) => u.topic === t)
        .map((u) => ({ topic: t, watermark: u.watermark, docKey: u.docKey, docVersion: u.docVersion, payload: u.payload as JsonValue, payloadHash: u.payloadHash ?? '', pointer: u.hydrationRequired }));
      env.ledger.replace(t, entries);
    }
    return topics.map((t) => {
      const docs = new Map(probe.client.listDocuments(t).map((d) => [d.docKey, { docVersion: d.docVersion, payload: d.payload as JsonValue }]));
      const seqs = [...(probe.history.applied.get(t) ?? [])].sort((a, b) => a - b);
      return { topic: t, head: probe.client.getWatermark(t) ?? 0, seqs, docs };
    });
  } finally {
    await probe.close();
  }
}
