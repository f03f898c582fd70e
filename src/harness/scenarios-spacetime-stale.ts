import type { FrameInfo } from '../testing/fault-rules.js';
import { converge, expect, waitFor } from './assertions.js';
import { AppliedHistory } from './probe.js';
import { checkpoint } from './replay-steps.js';
import type { Scenario } from './scenario.js';
import { openSpacetimeEnv, ST_RUN, ST_WORKER } from './spacetime-env.js';
import { bootstrapLatencies, recoveryKpi, storeMatches } from './stale-checks.js';

/** A live `TransactionUpdate` carrying rows of `stream` (the positional rows hold the stream id as text). */
function deltaOf(stream: string): (f: FrameInfo) => boolean {
  return (f) => f.text.startsWith('{"TransactionUpdate"') && f.text.includes(stream);
}

const gapStaleSnapshot: Scenario = {
  name: 'spacetime-gap-stale-snapshot',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: (1) retention deleted rows past the stored cursor → the lane sees the gap in the resume reply, reports retention_floor_breach, the client bootstraps from the snapshot and goes live, the fresh stream resumes from its own cursor; (2) a live delta lost on the wire → the next delta shows the gap → stale → snapshot → live; no seq applied twice, none skipped',
  control: true,
  quick: true,
  injects: ['stale'],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN] });
    env.publish(ST_WORKER, 100, { perTx: 3 });
    env.publish(ST_RUN, 40);
    const dbPath = env.path('gap.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    env.publish(ST_WORKER, ctx.quick ? 200 : 800, { perTx: 3 });
    env.publish(ST_RUN, 15);
    env.server.prune(ST_WORKER, env.server.head(ST_WORKER) - 50);
    const retentionFloor = env.server.oldest(ST_WORKER)! - 1;
    // Phase 2 drops exactly one live delta of ST_WORKER; armed later.
    let dropArmed = false;
    const isWorkerDelta = deltaOf(ST_WORKER);
    const proxy = await env.proxy({
      rules: {
        toClient: {
          dropRate: 1,
          match: (f) => {
            if (!dropArmed || !isWorkerDelta(f)) return false;
            dropArmed = false;
            return true;
          },
        },
      },
    });
    const probe = await env.probe({ via: proxy, sqlitePath: dbPath, history, label: 'gap' }).start();
    await converge(ctx, env, probe, 'after the retention-floor bootstrap', { startCursor: cursors });
    const first = probe.log.stale.map((s) => `${s.topic}:${s.reason ?? '?'}`);
    expect(first.join() === `${ST_WORKER}:retention_floor_breach`, `expected one retention_floor_breach on ${ST_WORKER}, saw ${JSON.stringify(probe.log.stale)}`);
    expect(probe.log.bootstraps.length === 1 && probe.log.bootstraps[0]!.head >= retentionFloor, `expected one bootstrap at or above the floor ${retentionFloor}, saw ${JSON.stringify(probe.log.bootstraps)}`);
    const runSeqs = (history.applied.get(ST_RUN) ?? []).filter((s) => s > (cursors[ST_RUN] ?? 0));
    expect(runSeqs.length === 15, `the fresh stream applied ${runSeqs.length} updates after its cursor, 15 were committed`);
    // Phase 2: a live delta vanishes; only the next one reveals the gap.
    dropArmed = true;
    const lost = env.publish(ST_WORKER, 3, { perTx: 3 });
    await waitFor(ctx, () => !dropArmed, 'the dropped delta', 5_000);
    expect(lost.every((e) => !(history.applied.get(ST_WORKER) ?? []).includes(e.watermark)), 'the dropped delta was applied anyway');
    env.publish(ST_WORKER, 2, { perTx: 2 });
    env.publish(ST_RUN, 5);
    await waitFor(ctx, () => probe.log.stale.length >= 2, 'the live gap to be reported stale', 10_000, () => ({ stale: probe.log.stale }));
    await converge(ctx, env, probe, 'after the live-gap bootstrap', { startCursor: cursors });
    const reasons = probe.log.stale.map((s) => `${s.topic}:${s.reason ?? '?'}`);
    expect(reasons.length === 2 && reasons[1] === `${ST_WORKER}:retention_floor_breach`, `live gap: stale ${reasons.join()}`);
    const boots = probe.log.bootstraps;
    expect(boots.length === 2, `expected two bootstraps, saw ${boots.length}`);
    env.publish(ST_WORKER, 10, { perTx: 2 });
    await converge(ctx, env, probe, 'live after both bootstraps', { startCursor: cursors });
    await probe.close();
    await storeMatches(env, dbPath);
    const latencies = bootstrapLatencies(probe);
    return {
      evidence: {
        cursors,
        retention_floor: retentionFloor,
        stale: reasons,
        snapshot_heads: probe.log.bootstraps.map((b) => b.head),
        dropped_delta_seqs: lost.map((e) => e.watermark),
        bootstrap_ms: latencies,
        applied: history.count(),
        duplicates: history.duplicates,
      },
      kpi: recoveryKpi(probe, history, { resumes: 2, latency: true }),
    };
  },
};

const replayBudget: Scenario = {
  name: 'spacetime-replay-budget',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: a resume whose reply exceeds the lane replayBudget of its stream → replay_budget_exceeded → snapshot bootstrap; the stream within budget resumes normally in the same request; exactly once',
  control: true,
  quick: false,
  injects: ['stale'],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN] });
    const budget = 50;
    env.publish(ST_WORKER, 30, { perTx: 3 });
    env.publish(ST_RUN, 30);
    const dbPath = env.path('budget.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    const over = ctx.quick ? 120 : 400;
    env.publish(ST_WORKER, over, { perTx: 4 });
    env.publish(ST_RUN, budget - 5);
    // Per stream: only the worker stream's backlog is over its budget.
    const spacetime = { replayBudget: (stream: string) => (stream === ST_WORKER ? budget : 10_000) };
    const probe = await env.probe({ sqlitePath: dbPath, history, label: 'budget', spacetime }).start();
    await converge(ctx, env, probe, 'after the budget recovery', { startCursor: cursors });
    const reasons = probe.log.stale.map((s) => `${s.topic}:${s.reason ?? '?'}`);
    expect(reasons.join() === `${ST_WORKER}:replay_budget_exceeded`, `stale reasons ${reasons.join()}`);
    expect(probe.log.bootstraps.map((b) => b.topic).join() === ST_WORKER, `bootstraps: ${JSON.stringify(probe.log.bootstraps)}`);
    const worker = (history.applied.get(ST_WORKER) ?? []).filter((s) => s > (cursors[ST_WORKER] ?? 0)).length;
    const run = (history.applied.get(ST_RUN) ?? []).filter((s) => s > (cursors[ST_RUN] ?? 0)).length;
    expect(worker === 0, `${ST_WORKER} applied ${worker} replayed rows over budget; the snapshot should cover them`);
    expect(run === budget - 5, `${ST_RUN} resumed ${run} rows, ${budget - 5} were committed`);
    env.publish(ST_WORKER, 5);
    await converge(ctx, env, probe, 'live after the budget recovery', { startCursor: cursors });
    await probe.close();
    await storeMatches(env, dbPath);
    return {
      evidence: { cursors, replay_budget: budget, over_budget: over, stale: reasons, snapshot_head: probe.log.bootstraps[0]?.head, resumed_within_budget: run, duplicates: history.duplicates },
      kpi: recoveryKpi(probe, history, { resumes: 2, latency: true }),
    };
  },
};

export const spacetimeStaleScenarios: Scenario[] = [gapStaleSnapshot, replayBudget];
