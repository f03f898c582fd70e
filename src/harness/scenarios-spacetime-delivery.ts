import type { FrameInfo } from '../testing/fault-rules.js';
import { converge, expect } from './assertions.js';
import { fleetKpi, total } from './fleet.js';
import { sleep, type Probe } from './probe.js';
import type { Scenario } from './scenario.js';
import { bootstrapLatencies } from './stale-checks.js';
import { openSpacetimeEnv, ST_RUN, ST_WORKER } from './spacetime-env.js';

const isDelta = (f: FrameInfo): boolean => f.text.startsWith('{"TransactionUpdate"');

/**
 * What the Khala lane cannot detect (`limitation-silent-loss`: a lost or overtaken batch is skipped
 * silently) the Spacetime lane must: seqs of a stream are contiguous, so the next delta after a
 * loss or an overtaking shows a gap, and the stream bootstraps from the snapshot.
 */
const lossAndReorderHealed: Scenario = {
  name: 'spacetime-loss-and-reorder-healed',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: live deltas dropped (30 %), reordered within a stream (shuffled and reversed windows) or duplicated: every gap is detected by the next delta and healed by a snapshot; the clients end with the journal, nothing applied twice or out of order',
  control: true,
  quick: false,
  injects: ['stale'],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN] });
    env.publish(ST_WORKER, 60, { perTx: 3 });
    env.publish(ST_RUN, 20);
    const proxies = {
      dropping: await env.proxy({ rules: { toClient: { match: isDelta, dropRate: 0.3 } } }),
      shuffling: await env.proxy({ rules: { toClient: { match: isDelta, reorderWindow: 4 } } }),
      reversing: await env.proxy({ rules: { toClient: { match: isDelta, reorderWindow: 3, reorderMode: 'reverse' } } }),
      duplicating: await env.proxy({ rules: { toClient: { duplicateRate: 0.5 } } }),
    };
    const probes: Record<string, Probe> = {};
    for (const [name, proxy] of Object.entries(proxies)) probes[name] = await env.probe({ via: proxy, label: name, sqlitePath: env.path(`${name}.sqlite`) }).start();
    for (const p of Object.values(probes)) await converge(ctx, env, p, 'the replay');
    const rounds = ctx.quick ? 40 : 120;
    for (let i = 0; i < rounds; i++) {
      env.publish(env.rnd.chance(0.65) ? ST_WORKER : ST_RUN, env.rnd.int(1, 3), { perTx: 3 });
      await sleep(env.rnd.int(1, 5));
    }
    // Faults off, one last commit per stream: a fault on the very last delta shows only to a later one.
    for (const p of Object.values(proxies)) p.setRules({});
    for (const t of env.topics) env.publish(t, 1);
    for (const [name, p] of Object.entries(probes)) await converge(ctx, env, p, name);
    const per = Object.fromEntries(Object.entries(probes).map(([n, p]) => [n, { stale: p.log.stale.length, bootstraps: p.log.bootstraps.length, applied: p.history.count(), errors: p.errorCodes().filter((c) => c !== 'stale_cursor').slice(0, 5) }]));
    const faults = Object.fromEntries(Object.entries(proxies).map(([n, p]) => [n, { dropped: p.stats().toClient.dropped, reordered: p.stats().toClient.reordered, duplicated: p.stats().toClient.duplicated }]));
    const evidence = { rounds, events: Object.fromEntries(env.topics.map((t) => [t, env.ledger.all(t).length])), per_client: per, faults };
    expect(proxies.dropping.stats().toClient.dropped > 0 && probes['dropping']!.log.bootstraps.length > 0, 'deltas were dropped but never healed by a snapshot', evidence);
    const all = Object.values(probes);
    return {
      evidence,
      kpi: fleetKpi(all, { staleCursors: total(all, (p) => p.log.stale.length), bootstrapLatencyMs: all.flatMap(bootstrapLatencies) }),
    };
  },
};

export const spacetimeDeliveryScenarios: Scenario[] = [lossAndReorderHealed];
