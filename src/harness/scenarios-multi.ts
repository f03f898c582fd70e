import type { FrameInfo } from '../testing/fault-rules.js';
import { expect } from './assertions.js';
import { EVENTS, openEnv, RUNS, WORKERS } from './env.js';
import { churnFleet, convergeFleet, fleetEvidence, fleetKpi, startFleet, total } from './fleet.js';
import { oneCopyOf } from './scenarios-delivery.js';
import type { Scenario } from './scenario.js';

const isData = (f: FrameInfo): boolean => f.batch !== undefined;

const multiClientConvergence: Scenario = {
  name: 'multi-client-convergence',
  family: 'multi-client',
  asserts: 'N clients on the same topics (direct, SQLite, restarted, late, behind duplicating / lossy-copy / cutting / reordering proxies) converge to identical state, equal to the journal',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS, EVENTS], server: { maxBatchSize: 40 } });
    if (env.mode === 'embedded') {
      env.publish(RUNS, 200, { docs: 30 });
      env.publish(WORKERS, 80, { docs: 10 });
      env.publish(EVENTS, 100, { docs: 100000, prefix: 'event' });
    }
    const key = (f: FrameInfo): string => `${f.batch?.topic ?? ''}:${f.event ?? ''}`;
    const proxies = {
      duplicating: await env.proxy({ rules: { toClient: { match: isData, duplicateRate: 0.4, delayMs: [0, 3] } } }),
      lossy_copy: await env.proxy({ rules: { toClient: { match: oneCopyOf(env.rnd.fork('copy').seed), dropRate: 1 } } }),
      cutting: await env.proxy({ rules: { toClient: { cutAtFrame: 9, cutTimes: ctx.quick ? 2 : 4 } } }),
      reordering: await env.proxy({ rules: { toClient: { match: isData, reorderWindow: 6, reorderKey: key } } }),
    };
    const fleet = await startFleet(env, proxies, (name) => ctx.quick && (name === 'reordering' || name === 'duplicating'));
    // Live traffic while clients join, restart and lose connections.
    await churnFleet(env, fleet, ctx.quick ? 30 : 120, () => {
      for (const t of env.topics) if (env.rnd.chance(0.6)) env.publish(t, env.rnd.int(1, 4), { docs: t === EVENTS ? 100000 : 30, prefix: t === EVENTS ? 'event' : undefined });
    });
    const comparison = await convergeFleet(ctx, env, fleet);
    const { names, differ } = comparison;
    const { probes } = fleet;
    const evidence = {
      ...fleetEvidence(env, comparison),
      per_client: Object.fromEntries(names.map((n) => [n, { applied: probes[n]!.history.count(), attempts: probes[n]!.attempts, duplicates: probes[n]!.history.duplicates }])),
      proxy_faults: Object.fromEntries(Object.entries(proxies).map(([n, p]) => [n, p.stats().faults])),
      cuts: proxies.cutting.stats().cuts,
      differences: differ.slice(0, 5),
    };
    expect(env.mode !== 'embedded' || differ.length === 0, `clients differ: ${differ.slice(0, 5).join('; ')}`, evidence);
    const all = Object.values(probes);
    return { evidence, kpi: fleetKpi(all, { resumes: 1 + proxies.cutting.stats().cuts, staleCursors: total(all, (p) => p.log.stale.length) }) };
  },
};

export const multiScenarios: Scenario[] = [multiClientConvergence];
