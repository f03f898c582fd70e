import { expect, percentile, waitFor } from './assertions.js';
import { openEnv, RUNS, WORKERS } from './env.js';
import { checkInvariant } from './invariant.js';
import { observe, type Probe } from './probe.js';
import type { Scenario, StormKpi } from './scenario.js';

const BUCKET_MS = 100;

/** Count timestamps per fixed bucket from `t0`. */
function buckets(times: number[], t0: number): number[] {
  const out: number[] = [];
  for (const t of times) {
    const i = Math.max(0, Math.floor((t - t0) / BUCKET_MS));
    while (out.length <= i) out.push(0);
    out[i]! += 1;
  }
  return out;
}

const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  family: 'storm',
  asserts: '500 clients in one process, live, then a server restart: all back to live, 0 duplicates, the journal everywhere, reconnects spread by the default jittered backoff (peak connection rate reported)',
  control: true,
  quick: true,
  injects: ['storm', 'restart'],
  timeoutMs: 240_000,
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS] });
    const clients = ctx.quick ? 100 : 500;
    env.publish(RUNS, 30, { docs: 10 });
    env.publish(WORKERS, 10, { docs: 5 });
    const probes: Probe[] = [];
    // The SDK's default backoff (full jitter, 250 ms doubling to 8 s): what is under test here.
    for (let i = 0; i < clients; i++) probes.push(env.probe({ label: `storm${i}`, reconnectDelay: undefined }));
    for (const p of probes) await p.start();
    const allLive = (): boolean => probes.every((p) => p.client.status === 'live' && env.topics.every((t) => p.client.getWatermark(t) === env.ledger.truth(t).head));
    await waitFor(ctx, allLive, `${clients} clients live`, 120_000, () => ({ live: probes.filter((p) => p.client.status === 'live').length }));
    ctx.note(`${clients} clients live; restarting the server`);
    const attemptsBefore = probes.map((p) => p.attempts);
    const joinsBefore = env.server.stats().joins;
    const samples: Array<{ at: number; connections: number; joins: number }> = [];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      const s = env.server.stats();
      samples.push({ at: Date.now() - t0, connections: s.connections, joins: s.joins });
    }, BUCKET_MS);
    ctx.defer(() => clearInterval(sampler));
    await env.server.restart();
    const restartedMs = Date.now() - t0;
    env.publish(RUNS, 5, { docs: 10 }); // published while the fleet reconnects
    let timeToAllLive = 0;
    await waitFor(
      ctx,
      () => {
        const ok = allLive();
        if (ok) timeToAllLive = Date.now() - t0;
        return ok;
      },
      'every client live again',
      120_000,
      () => ({ live: probes.filter((p) => p.client.status === 'live').length, statuses: [...new Set(probes.map((p) => p.client.status))] }),
    );
    clearInterval(sampler);
    // Exact reconnect times, client side: each socket that opened after the restart began.
    const opens = probes.flatMap((p) => p.log.statuses.filter((s) => s.status === 'joining' && s.at >= t0).map((s) => s.at));
    const perBucket = buckets(opens, t0);
    const peak = Math.max(0, ...perBucket);
    const firstOpen = Math.min(...opens);
    const lastOpen = Math.max(...opens);
    const attempts = probes.map((p, i) => p.attempts - attemptsBefore[i]!);
    const serverBuckets = samples.map((s, i) => s.connections - (i === 0 ? s.connections : samples[i - 1]!.connections));
    let duplicates = 0;
    let outOfOrder = 0;
    const broken: string[] = [];
    const truths = env.ledgerTruths()!;
    for (const p of probes) {
      duplicates += p.history.duplicates;
      outOfOrder += p.history.outOfOrder;
      const r = checkInvariant(truths, observe(p), p.history, { exact: true });
      if (r.violations.length > 0 && broken.length < 5) broken.push(r.violations.join('; '));
    }
    const storm: StormKpi = {
      clients,
      peakPer100ms: peak,
      peakRatePerSec: peak * (1000 / BUCKET_MS),
      peakFraction: Number((peak / clients).toFixed(4)),
      timeToAllLiveMs: timeToAllLive,
      maxAttempts: Math.max(...attempts),
      spreadMs: opens.length ? lastOpen - firstOpen : 0,
    };
    const evidence = {
      clients,
      restart_ms: restartedMs,
      reconnections: opens.length,
      joins_after_restart: env.server.stats().joins - joinsBefore,
      peak_per_100ms: peak,
      server_peak_per_100ms: Math.max(0, ...serverBuckets),
      peak_rate_per_s: storm.peakRatePerSec,
      peak_fraction: storm.peakFraction,
      spread_ms: storm.spreadMs,
      time_to_all_live_ms: timeToAllLive,
      attempts_p50: percentile(attempts, 50),
      attempts_max: storm.maxAttempts,
      duplicates,
      buckets: { client_opens_per_100ms: perBucket, server_connections_per_100ms: serverBuckets },
    };
    const kpi = { storm, duplicates, outOfOrder, connections: opens.length, resumes: clients, staleCursors: probes.reduce((n, p) => n + p.log.stale.length, 0) };
    expect(broken.length === 0, `clients diverged: ${broken.join(' | ')}`, evidence);
    expect(opens.length >= clients, `only ${opens.length} reconnections for ${clients} clients`, evidence);
    expect(storm.spreadMs >= 150 && storm.peakFraction < 0.9, `reconnects not spread by jitter (spread ${storm.spreadMs} ms, peak ${peak}/${clients} in 100 ms)`, evidence);
    for (const p of probes) await p.close();
    return { evidence, kpi };
  },
};

export const stormScenarios: Scenario[] = [reconnectStorm];
