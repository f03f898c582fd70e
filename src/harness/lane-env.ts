import { join } from 'node:path';
import type { TokenSource } from '../client/token-provider.js';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../testing/fault-proxy.js';
import { seededRandom, type SeededRandom } from '../testing/seeded-random.js';
import { faultLog } from './fault-log.js';
import { Ledger, type TopicTruth } from './invariant.js';
import type { BaseProbeOptions, LaneHarness, LaneServer } from './lane-harness.js';
import { oracle } from './oracle.js';
import { fastBackoff, Probe } from './probe.js';
import { ScenarioFailure, type ScenarioContext } from './scenario.js';
import { httpSnapshotSource, tokenEndpoint } from '../http.js';

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

/** Options of {@link LaneEnv.probe}: client options, the lane's own (`X`), a proxy to go through, a label. */
export type LaneProbeOptions<X extends object = object> = BaseProbeOptions & X & { via?: FaultProxy; label?: string };

/**
 * A scenario's world on one lane: the target (embedded server or deployment), its truth, proxies
 * and probes. Lane envs (`Env`, `SpacetimeEnv`) add how events are published.
 */
export interface LaneEnv<S extends LaneServer = LaneServer, X extends object = object> extends TruthView {
  /** Socket URL of the target. */
  readonly url: string;
  readonly snapshotUrl: string | undefined;
  /** The embedded server (throws in deployment mode). */
  readonly server: S;
  readonly rnd: SeededRandom;
  /** Token source for clients, optionally through a proxy's HTTP side (embedded only). */
  token(via?: FaultProxy): TokenSource;
  /** Start a proxy in front of the target (closed after the scenario). */
  proxy(options?: Omit<FaultProxyOptions, 'target'>): Promise<FaultProxy>;
  /** A probe on this lane with the harness defaults (fast seeded backoff), closed after the scenario. */
  probe(options?: LaneProbeOptions<X>): Probe;
  /** A file path in the scenario's temp dir. */
  path(name: string): string;
  /** Arguments and environment of a spawned `khala-sync tail` on this lane (the token never in argv). */
  tailTarget(): { args: string[]; env: Record<string, string> };
}

/**
 * Open a scenario's world on `lane`. Embedded: a fresh server with `spec.server` options (closed
 * after the scenario). Deployment: the `--url` target, whose truth comes from an oracle client that
 * replays every topic from zero without faults.
 */
export async function openLaneEnv<S extends LaneServer, SO, X extends object>(ctx: ScenarioContext, lane: LaneHarness<S, SO, X>, spec: { topics: string[]; server?: SO }): Promise<LaneEnv<S, X>> {
  const rnd = seededRandom(ctx.seed);
  const ledger = new Ledger();
  const target = ctx.target;
  let server: S | undefined;
  if (target.kind === 'embedded') {
    server = await lane.startServer(spec.server);
    const s = server;
    ctx.defer(() => s.close());
  }
  const topics = target.kind === 'embedded' ? spec.topics : target.topics;
  const url = server ? server.url : target.kind === 'deployment' ? lane.deploymentUrl(target.url) : '';
  const snapshotUrl = server ? server.snapshotUrl : target.kind === 'deployment' ? target.snapshotUrl : undefined;
  const insecure = target.kind === 'deployment' && target.allowInsecure;
  // Forked once, by label, so that probe schedules do not depend on what else draws from `rnd`.
  const probeRnd = rnd.fork('probes');
  let probes = 0;
  let proxies = 0;
  const env: LaneEnv<S, X> = {
    mode: target.kind,
    topics,
    url,
    snapshotUrl,
    get server(): S {
      if (!server) throw new ScenarioFailure(`this step needs the ${lane.serverName}`);
      return server;
    },
    ledger,
    rnd,
    exact: target.kind === 'embedded',
    token(via) {
      if (target.kind === 'deployment') return typeof target.token === 'string' ? target.token : tokenEndpoint({ url: target.token.url, allowInsecure: insecure });
      return tokenEndpoint({ url: via ? via.via(server!.tokenUrl) : server!.tokenUrl });
    },
    async proxy(options = {}) {
      proxies += 1;
      const p = await startFaultProxy({ target: url, seed: options.seed ?? rnd.fork(`proxy${proxies}`).seed, ...options });
      ctx.defer(() => p.close());
      ctx.collect(`proxy${proxies}`, () => faultLog(p));
      return p;
    },
    probe(options = {} as LaneProbeOptions<X>) {
      const { via, label, ...rest } = options;
      probes += 1;
      // Snapshot requests go through the proxy only when it fronts the embedded server (its HTTP side).
      const snap = snapshotUrl && via && server ? via.via(snapshotUrl) : snapshotUrl;
      const probe = new Probe({
        url: via ? via.url : url,
        token: env.token(via),
        topics,
        ...(snap ? { snapshot: httpSnapshotSource({ baseUrl: snap, allowInsecure: insecure }) } : {}),
        reconnectDelay: fastBackoff(probeRnd.fork(label ?? `p${probes}`)),
        allowInsecure: insecure,
        ...lane.clientOptions(rest as BaseProbeOptions & X),
      });
      ctx.defer(() => probe.close());
      return probe;
    },
    path: (name) => join(ctx.tmpDir, name),
    tailTarget(): { args: string[]; env: Record<string, string> } {
      const args = [...lane.tailArgs, '--url', url, ...(insecure ? ['--allow-insecure'] : [])];
      if (target.kind === 'embedded') return { args: [...args, '--token-url', server!.tokenUrl], env: {} };
      if (typeof target.token === 'string') return { args, env: { KHALA_SYNC_TOKEN: target.token } };
      if (typeof target.token === 'object') return { args: [...args, '--token-url', target.token.url], env: {} };
      throw new ScenarioFailure('a spawned client needs --token or --token-url');
    },
    ledgerTruths(list = topics) {
      return server ? list.map((t) => ledger.truth(t)) : undefined;
    },
    async truths(list = topics) {
      if (server) return list.map((t) => ledger.truth(t));
      return oracle(env, list, ctx, lane.oracleOptions());
    },
  };
  return env;
}
