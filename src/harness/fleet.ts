import type { FaultProxy } from '../testing/fault-proxy.js';
import { converge } from './assertions.js';
import { sameDocuments } from './invariant.js';
import type { LaneEnv } from './lane-env.js';
import { AppliedHistory, observe, sleep, type Probe } from './probe.js';
import type { Evidence, Kpi, ScenarioContext } from './scenario.js';

// The client fleet of the multi-client scenarios (both lanes): who joins when, how the fleet is
// driven and how it is compared. The lanes choose the proxies' faults and the traffic.

/** A fleet of clients on the same topics, by name in join order (the first is the reference). */
export interface Fleet {
  readonly probes: Record<string, Probe>;
  /** History of the SQLite client, continued by its restart on the same file. */
  readonly sqliteHistory: AppliedHistory;
}

/** SQLite file of the fleet's restarting client. */
const SQLITE_FILE = 'multi.sqlite';

/** Start a direct client, a SQLite client and one client behind each proxy that `skip` keeps. */
export async function startFleet(env: LaneEnv, proxies: Record<string, FaultProxy>, skip: (name: string) => boolean): Promise<Fleet> {
  const probes: Record<string, Probe> = {};
  const sqliteHistory = new AppliedHistory();
  probes['direct'] = await env.probe({ label: 'direct' }).start();
  probes['sqlite'] = await env.probe({ label: 'sqlite', sqlitePath: env.path(SQLITE_FILE), history: sqliteHistory }).start();
  for (const [name, proxy] of Object.entries(proxies)) {
    if (skip(name)) continue;
    probes[name] = await env.probe({ label: name, via: proxy }).start();
  }
  return { probes, sqliteHistory };
}

/**
 * `rounds` rounds of live traffic (`publish`, embedded only) while the fleet changes: a late client
 * joins at a third, the SQLite client restarts on its file at half; a seeded 2–12 ms pause between.
 */
export async function churnFleet(env: LaneEnv, fleet: Fleet, rounds: number, publish: () => void): Promise<void> {
  const { probes } = fleet;
  for (let i = 0; i < rounds; i++) {
    if (env.mode === 'embedded') publish();
    if (i === Math.floor(rounds / 3)) probes['late'] = await env.probe({ label: 'late' }).start();
    if (i === Math.floor(rounds / 2)) {
      await probes['sqlite']!.close();
      probes['sqlite'] = await env.probe({ label: 'sqlite-restarted', sqlitePath: env.path(SQLITE_FILE), history: fleet.sqliteHistory }).start();
    }
    await sleep(env.rnd.int(2, 12));
  }
}

/** What {@link convergeFleet} found: the clients, the reference and how the others differ from it. */
export interface FleetComparison {
  names: string[];
  reference: Probe;
  /** `<client>: <difference>` for every document that differs from the reference's. */
  differ: string[];
}

/** Every client converges to the truth (exactly once); then each is compared with the first. */
export async function convergeFleet(ctx: ScenarioContext, env: LaneEnv, fleet: Fleet): Promise<FleetComparison> {
  const { probes } = fleet;
  const truths = await env.truths();
  // Embedded: each client is checked against the ledger as of its convergence.
  for (const [name, p] of Object.entries(probes)) await converge(ctx, env, p, name, { truths: env.mode === 'embedded' ? undefined : truths });
  const names = Object.keys(probes);
  const reference = probes[names[0]!]!;
  const differ: string[] = [];
  for (const n of names.slice(1)) differ.push(...sameDocuments(observe(reference), observe(probes[n]!), env.topics).map((d) => `${n}: ${d}`));
  return { names, reference, differ };
}

/** The head of a fleet's evidence: how many clients, and the reference's watermarks and document counts. */
export function fleetEvidence(env: LaneEnv, comparison: FleetComparison): Evidence {
  const { names, reference } = comparison;
  return {
    clients: names.length,
    watermarks: Object.fromEntries(env.topics.map((t) => [t, reference.client.getWatermark(t)])),
    documents: Object.fromEntries(env.topics.map((t) => [t, reference.client.listDocuments(t).length])),
  };
}

/** Sum of `count` over `probes`. */
export function total(probes: Iterable<Probe>, count: (p: Probe) => number): number {
  let n = 0;
  for (const p of probes) n += count(p);
  return n;
}

/** KPIs of several clients: duplicates, out-of-order applies and connections summed, then `extra`. */
export function fleetKpi(probes: Probe[], extra: Kpi = {}): Kpi {
  return { duplicates: total(probes, (p) => p.history.duplicates), outOfOrder: total(probes, (p) => p.history.outOfOrder), connections: total(probes, (p) => p.attempts), ...extra };
}
