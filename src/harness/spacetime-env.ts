import { join } from 'node:path';
import type { TokenSource } from '../client/token-provider.js';
import { createSpacetimeLane, type SpacetimeLaneOptions } from '../adapters/spacetime/index.js';
import { startSpacetimeServer, type SpacetimeServer, type SpacetimeServerOptions, type SyncEventRecord } from '../server/index.js';
import type { JournalEntry } from '../server/types.js';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../testing/fault-proxy.js';
import { seededRandom, type SeededRandom } from '../testing/seeded-random.js';
import type { JsonValue } from '../util/json.js';
import { fastBackoff, faultLog, oracle, type TruthView } from './env.js';
import { Ledger, type TopicTruth } from './invariant.js';
import { Probe, type ProbeOptions } from './probe.js';
import { ScenarioFailure, type ScenarioContext } from './scenario.js';

/** `sync_event` stream ids of the Spacetime scenarios (none is a prefix of another: frames are matched by text). */
export const ST_WORKER = 'runtime.codex.worker.worker_1';
export const ST_RUN = 'runtime.run.run_7';
export const ST_NOTES = 'runtime.notifications.user_3';

/** Path the lane adds to a base URL (its default database). */
const DEFAULT_SOCKET_PATH = '/v1/database/autopilot-sync/subscribe';

/** Probe options of a Spacetime client: lane options besides the client's. */
export type SpacetimeProbeOptions = Omit<Partial<ProbeOptions>, 'lane'> & { via?: FaultProxy; label?: string; spacetime?: SpacetimeLaneOptions };

/** A Spacetime scenario's world: the reference Spacetime server (or a deployment), its ledger, proxies, probes. */
export interface SpacetimeEnv extends TruthView {
  /** Socket URL of the target (`…/v1/database/<db>/subscribe`). */
  readonly url: string;
  readonly snapshotUrl: string | undefined;
  /** The embedded Spacetime server (throws in deployment mode). */
  readonly server: SpacetimeServer;
  readonly rnd: SeededRandom;
  token(via?: FaultProxy): TokenSource;
  proxy(options?: Omit<FaultProxyOptions, 'target'>): Promise<FaultProxy>;
  /** A Spacetime-lane probe with the harness defaults, closed after the scenario. */
  probe(options?: SpacetimeProbeOptions): Probe;
  path(name: string): string;
  /**
   * Append `count` events to `stream` (embedded only), in transactions of 1…`perTx` rows (seeded;
   * exactly `perTx` with `fixed`), and record them in the ledger. Returns the rows inserted.
   */
  publish(stream: string, count: number, options?: { perTx?: number; fixed?: boolean }): JournalEntry[];
  /** Arguments and environment of a spawned `khala-sync tail --lane spacetime` (the token never in argv). */
  tailTarget(): { args: string[]; env: Record<string, string> };
}

const TEXT = 'é✓日本🙂';

/** A row as the ledger's journal entry: one document per event (docs/spacetime-lane.md "Mapping"). */
export function journalEntry(row: SyncEventRecord): JournalEntry {
  return { topic: row.stream_id, watermark: row.seq, docKey: row.idempotency_key, docVersion: row.seq, payload: JSON.parse(row.payload_json) as JsonValue, payloadHash: row.payload_hash, pointer: false };
}

/** A socket URL with the lane's default path when given a bare origin (the fault proxy needs the path). */
function socketUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = DEFAULT_SOCKET_PATH;
  return u.toString();
}

/**
 * Open a Spacetime scenario's world. Embedded: a fresh `startSpacetimeServer` (closed after the
 * scenario). Deployment (`--lane spacetime --url …`): the target, whose truth comes from an oracle
 * client on the Spacetime lane.
 */
export async function openSpacetimeEnv(ctx: ScenarioContext, spec: { streams: string[]; server?: SpacetimeServerOptions }): Promise<SpacetimeEnv> {
  const rnd = seededRandom(ctx.seed);
  const ledger = new Ledger();
  const target = ctx.target;
  let server: SpacetimeServer | undefined;
  if (target.kind === 'embedded') {
    server = await startSpacetimeServer({ port: 0, ...spec.server });
    const s = server;
    ctx.defer(() => s.close());
  }
  const topics = target.kind === 'embedded' ? spec.streams : target.topics;
  const url = server ? server.url : target.kind === 'deployment' ? socketUrl(target.url) : '';
  const snapshotUrl = server ? server.snapshotUrl : target.kind === 'deployment' ? target.snapshotUrl : undefined;
  const insecure = target.kind === 'deployment' && target.allowInsecure;
  const probeRnd = rnd.fork('probes');
  let probes = 0;
  let proxies = 0;
  let n = 0;
  const env: SpacetimeEnv = {
    mode: target.kind,
    topics,
    url,
    snapshotUrl,
    get server(): SpacetimeServer {
      if (!server) throw new ScenarioFailure('this step needs the embedded Spacetime server');
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
      const { via, label, spacetime, ...rest } = options;
      probes += 1;
      const snap = snapshotUrl && via && server ? via.via(snapshotUrl) : snapshotUrl;
      const probe = new Probe({
        url: via ? via.url : url,
        lane: createSpacetimeLane(spacetime),
        token: env.token(via),
        topics,
        snapshotUrl: snap,
        reconnectDelay: fastBackoff(probeRnd.fork(label ?? `p${probes}`)),
        allowInsecure: insecure,
        ...rest,
      });
      ctx.defer(() => probe.close());
      return probe;
    },
    path: (name) => join(ctx.tmpDir, name),
    publish(stream, count, options = {}) {
      const s = env.server;
      const out: JournalEntry[] = [];
      while (out.length < count) {
        const size = Math.min(count - out.length, options.fixed ? (options.perTx ?? 1) : rnd.int(1, options.perTx ?? 1));
        const inputs = Array.from({ length: size }, () => {
          n += 1;
          return { payload: { stream, n, status: rnd.pick(['queued', 'running', 'finished', 'failed']), note: TEXT, nested: { list: [n, n * 2], flag: n % 2 === 0 } } };
        });
        const entries = s.publish(stream, inputs).map(journalEntry);
        ledger.record(entries);
        out.push(...entries);
      }
      return out;
    },
    ledgerTruths(list = topics): TopicTruth[] | undefined {
      return server ? list.map((t) => ledger.truth(t)) : undefined;
    },
    async truths(list = topics) {
      if (server) return list.map((t) => ledger.truth(t));
      return oracle(env, list, ctx, { lane: createSpacetimeLane() });
    },
    tailTarget(): { args: string[]; env: Record<string, string> } {
      const args = ['--lane', 'spacetime', '--url', url, ...(insecure ? ['--allow-insecure'] : [])];
      if (target.kind === 'embedded') return { args: [...args, '--token-url', server!.tokenUrl], env: {} };
      if (typeof target.token === 'string') return { args, env: { KHALA_SYNC_TOKEN: target.token } };
      if (typeof target.token === 'object') return { args: [...args, '--token-url', target.token.url], env: {} };
      throw new ScenarioFailure('a spawned client needs --token or --token-url');
    },
  };
  return env;
}
