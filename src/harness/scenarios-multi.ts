import type { FrameInfo } from '../testing/fault-rules.js';
import { converge, expect } from './assertions.js';
import { EVENTS, observe, openEnv, RUNS, WORKERS } from './env.js';
import { sameDocuments } from './invariant.js';
import { AppliedHistory, sleep, type Probe } from './probe.js';
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
    const probes: Record<string, Probe> = {};
    const sqliteHistory = new AppliedHistory();
    probes['direct'] = await env.probe({ label: 'direct' }).start();
    probes['sqlite'] = await env.probe({ label: 'sqlite', sqlitePath: env.path('multi.sqlite'), history: sqliteHistory }).start();
    for (const [name, proxy] of Object.entries(proxies)) {
      if (ctx.quick && (name === 'reordering' || name === 'duplicating')) continue;
      probes[name] = await env.probe({ label: name, via: proxy }).start();
    }
    // Live traffic while clients join, restart and lose connections.
    const rounds = ctx.quick ? 30 : 120;
    for (let i = 0; i < rounds; i++) {
      if (env.mode === 'embedded') for (const t of env.topics) if (env.rnd.chance(0.6)) env.publish(t, env.rnd.int(1, 4), { docs: t === EVENTS ? 100000 : 30, prefix: t === EVENTS ? 'event' : undefined });
      if (i === Math.floor(rounds / 3)) probes['late'] = await env.probe({ label: 'late' }).start();
      if (i === Math.floor(rounds / 2)) {
        await probes['sqlite']!.close();
        probes['sqlite'] = await env.probe({ label: 'sqlite-restarted', sqlitePath: env.path('multi.sqlite'), history: sqliteHistory }).start();
      }
      await sleep(env.rnd.int(2, 12));
    }
    const truths = await env.truths();
    for (const [name, p] of Object.entries(probes)) await converge(ctx, env, p, name, { truths: env.mode === 'embedded' ? undefined : truths });
    const names = Object.keys(probes);
    const reference = probes[names[0]!]!;
    const differ: string[] = [];
    for (const n of names.slice(1)) differ.push(...sameDocuments(observe(reference), observe(probes[n]!), env.topics).map((d) => `${n}: ${d}`));
    const evidence = {
      clients: names.length,
      watermarks: Object.fromEntries(env.topics.map((t) => [t, reference.client.getWatermark(t)])),
      documents: Object.fromEntries(env.topics.map((t) => [t, reference.client.listDocuments(t).length])),
      per_client: Object.fromEntries(names.map((n) => [n, { applied: probes[n]!.history.count(), attempts: probes[n]!.attempts, duplicates: probes[n]!.history.duplicates }])),
      proxy_faults: Object.fromEntries(Object.entries(proxies).map(([n, p]) => [n, p.stats().faults])),
      cuts: proxies.cutting.stats().cuts,
      differences: differ.slice(0, 5),
    };
    expect(env.mode !== 'embedded' || differ.length === 0, `clients differ: ${differ.slice(0, 5).join('; ')}`, evidence);
    const all = Object.values(probes);
    return {
      evidence,
      kpi: { duplicates: all.reduce((n, p) => n + p.history.duplicates, 0), outOfOrder: all.reduce((n, p) => n + p.history.outOfOrder, 0), connections: all.reduce((n, p) => n + p.attempts, 0), resumes: 1 + proxies.cutting.stats().cuts, staleCursors: all.reduce((n, p) => n + p.log.stale.length, 0) },
    };
  },
};

export const multiScenarios: Scenario[] = [multiClientConvergence];
