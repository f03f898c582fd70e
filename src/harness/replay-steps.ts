import { converge, expect, loadSqlite, replayLatency } from './assertions.js';
import { checkInvariant, storeObserved, type TopicTruth } from './invariant.js';
import type { LaneEnv, TruthView } from './lane-env.js';
import { AppliedHistory, type Probe } from './probe.js';
import type { Evidence, Kpi, ScenarioContext } from './scenario.js';

// Lane-neutral bodies of the replay-from-zero and resume-from-checkpoint scenarios: the Khala and
// Spacetime lanes differ only in how events are published, so each lane passes its traffic in.

/** What a shared scenario body returns: the evidence and KPIs, plus its probes for lane-specific checks. */
export interface StepsResult<P> {
  evidence: Evidence;
  kpi: Kpi;
  probes: P;
}

/** The stored file equals the truth (watermarks and documents). */
export async function storedEqualsTruth(env: Pick<TruthView, 'exact'>, path: string, truths: TopicTruth[]): Promise<void> {
  const contents = await loadSqlite(path);
  const report = checkInvariant(truths, storeObserved(contents), new AppliedHistory(), { exact: env.exact, noSkipCheck: truths.map((t) => t.topic) });
  expect(report.violations.length === 0, `stored state of ${path}: ${report.violations.join('; ')}`, { stored: report.topics });
}

/**
 * Run a client on `dbPath` until live at the current heads, then close it: the stored cursors a
 * later client resumes from. `label` names the probe (its backoff seed) and the converge step.
 */
export async function checkpoint(ctx: ScenarioContext, env: LaneEnv, dbPath: string, history: AppliedHistory, label = 'checkpoint'): Promise<{ cursors: Record<string, number | undefined>; probe: Probe }> {
  const probe = await env.probe({ sqlitePath: dbPath, history, label }).start();
  await converge(ctx, env, probe, `${label} run`);
  const cursors = Object.fromEntries(env.topics.map((t) => [t, probe.client.getWatermark(t)]));
  await probe.close();
  return { cursors, probe };
}

/** Lane-specific traffic of {@link replayFromZeroSteps} (embedded only). */
export interface ReplayFromZeroTraffic {
  /** The backlog the fresh clients replay: `n` events on the busiest topic, fewer on the others. */
  backlog(n: number): void;
  /** Live round `i` of 40 once the clients are live; returns how many events it published. */
  live(i: number): number;
}

/**
 * Replay from zero: a SQLite and a memory client replay every topic from zero and converge, then
 * (embedded) apply live traffic exactly once; the SQLite file equals the journal afterwards.
 */
export async function replayFromZeroSteps(ctx: ScenarioContext, env: LaneEnv, traffic: ReplayFromZeroTraffic): Promise<StepsResult<{ sqlite: Probe; memory: Probe }>> {
  const n = ctx.quick ? 300 : 2000;
  if (env.mode === 'embedded') traffic.backlog(n);
  const truths = await env.truths();
  const dbPath = env.path('zero.sqlite');
  const sqlite = await env.probe({ sqlitePath: dbPath, label: 'sqlite' }).start();
  const memory = await env.probe({ label: 'memory' }).start();
  await converge(ctx, env, sqlite, 'sqlite client', { truths });
  await converge(ctx, env, memory, 'memory client', { truths });
  const latencies = [replayLatency(sqlite, env.topics), replayLatency(memory, env.topics)].filter((x): x is number => x !== undefined);
  let live = 0;
  if (env.mode === 'embedded') {
    for (let i = 0; i < 40; i++) live += traffic.live(i);
    const after = await env.truths();
    await converge(ctx, env, sqlite, 'sqlite client (live)', { truths: after });
    await converge(ctx, env, memory, 'memory client (live)', { truths: after });
  }
  const finalTruths = env.mode === 'embedded' ? await env.truths() : truths;
  await sqlite.close();
  await storedEqualsTruth(env, dbPath, finalTruths);
  const duplicates = sqlite.history.duplicates + memory.history.duplicates;
  return {
    evidence: {
      events: Object.fromEntries(finalTruths.map((t) => [t.topic, t.seqs.length])),
      live_events: live,
      applied: { sqlite: sqlite.history.count(), memory: memory.history.count() },
      replay_ms: latencies,
      duplicates,
    },
    kpi: { replayLatencyMs: latencies, duplicates, outOfOrder: sqlite.history.outOfOrder + memory.history.outOfOrder, connections: sqlite.attempts + memory.attempts },
    probes: { sqlite, memory },
  };
}

/** Lane-specific traffic of {@link resumeFromCheckpointSteps} (embedded only). */
export interface ResumeTraffic {
  /** The backlog the first run replays. */
  backlog(): void;
  /** Events published while the client is away; returns how many. */
  away(): number;
}

/**
 * Resume from a checkpoint: a client replays into a SQLite file and stops; a new client on the same
 * file loads the same cursors and applies exactly what was published meanwhile, starting with the
 * first event after its cursor, nothing re-applied.
 */
export async function resumeFromCheckpointSteps(ctx: ScenarioContext, env: LaneEnv, traffic: ResumeTraffic): Promise<StepsResult<{ first: Probe; second: Probe }>> {
  const dbPath = env.path('checkpoint.sqlite');
  const history = new AppliedHistory();
  if (env.mode === 'embedded') traffic.backlog();
  const { cursors, probe: first } = await checkpoint(ctx, env, dbPath, history, 'first');
  const away = env.mode === 'embedded' ? traffic.away() : 0;
  const before = history.count();
  const beforeByTopic = Object.fromEntries(env.topics.map((t) => [t, history.count(t)]));
  const second = env.probe({ sqlitePath: dbPath, history, label: 'second' });
  for (const t of env.topics) {
    const stored = await second.storedCursor(t);
    expect(stored === cursors[t], `${t}: stored cursor ${String(stored)} after restart, expected ${String(cursors[t])}`);
  }
  await second.start();
  const truths = await env.truths();
  await converge(ctx, env, second, 'second run', { truths });
  const resumedApplied = history.count() - before;
  if (env.mode === 'embedded') expect(resumedApplied === away, `second run applied ${resumedApplied} updates, ${away} were published while away`);
  // Deployment: live traffic may have given the client events newer than the oracle saw; look again.
  const seen = env.mode === 'embedded' ? truths : await env.truths();
  for (const t of env.topics) {
    const resumed = (history.applied.get(t) ?? []).slice(beforeByTopic[t]);
    const expected = seen.find((x) => x.topic === t)!.seqs.find((s) => s > (cursors[t] ?? 0));
    if (resumed.length > 0) expect(resumed[0] === expected, `${t}: the resume started at ${resumed[0]}, the first event after cursor ${String(cursors[t])} is ${String(expected)}`);
  }
  return {
    evidence: { cursors, published_while_away: away, applied_after_restart: resumedApplied, duplicates: history.duplicates },
    kpi: { resumes: env.topics.length, duplicates: history.duplicates, outOfOrder: history.outOfOrder, staleCursors: first.log.stale.length + second.log.stale.length, connections: first.attempts + second.attempts },
    probes: { first, second },
  };
}
