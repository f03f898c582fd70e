import { startReferenceServer } from '../server/reference-server.js';
import type { ReferenceServerOptions } from '../server/options.js';
import type { JournalEntry, ReferenceServer } from '../server/types.js';
import type { SeededRandom } from '../testing/seeded-random.js';
import type { JsonValue } from '../util/json.js';
import type { LaneHarness } from './lane-harness.js';
import { openLaneEnv, type LaneEnv } from './lane-env.js';
import type { ScenarioContext } from './scenario.js';

export const RUNS = 'runtime.run_summaries';
export const WORKERS = 'runtime.codex_worker_summaries';
export const EVENTS = 'runtime.codex_worker_events';
export const NOTES = 'runtime.notifications';

/** Publish options: how many distinct documents, their key prefix. */
export interface PublishOptions {
  docs?: number;
  prefix?: string;
}

/** A Khala scenario's world: the reference server (or a deployment), its truth, proxies and probes. */
export interface Env extends LaneEnv<ReferenceServer> {
  /** Append `count` events to `topic` (embedded only); documents cycle over `docs` keys. */
  publish(topic: string, count: number, options?: PublishOptions): JournalEntry[];
}

/** The Khala lane (`khala.ws.v1`): the client's default lane, so probes and `tail` need no lane option. */
export const KHALA_HARNESS: LaneHarness<ReferenceServer, ReferenceServerOptions, object> = {
  serverName: 'embedded server',
  startServer: (options) => startReferenceServer({ port: 0, ...options }),
  deploymentUrl: (url) => url,
  clientOptions: (options) => options,
  oracleOptions: () => ({}),
  tailArgs: [],
};

const TEXT = 'é✓日本🙂';

function payload(topic: string, n: number, key: string, rnd: SeededRandom): JsonValue {
  return { topic_kind: topic.split('.')[1] ?? topic, key, n, status: rnd.pick(['queued', 'running', 'finished', 'failed']), note: TEXT, nested: { list: [n, n * 2], flag: n % 2 === 0 } };
}

/**
 * Open a Khala scenario's world. Embedded: a fresh reference server with `server` options (closed
 * after the scenario). Deployment: the `--url` target, whose truth comes from an oracle client that
 * replays every topic from zero without faults.
 */
export async function openEnv(ctx: ScenarioContext, spec: { topics: string[]; server?: ReferenceServerOptions }): Promise<Env> {
  const env = await openLaneEnv(ctx, KHALA_HARNESS, spec);
  const { ledger, rnd } = env;
  return Object.assign(env, {
    publish(topic: string, count: number, options: PublishOptions = {}): JournalEntry[] {
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
  });
}
