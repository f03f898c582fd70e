import { existsSync } from 'node:fs';
import type { StoreContents } from '../watermarks/store.js';
import { expect, loadSqlite } from './assertions.js';
import { checkStore, runTail, runUntilLine, sigkillLoop } from './crash-machinery.js';
import type { TopicTruth } from './invariant.js';
import type { LaneEnv } from './lane-env.js';
import { sleep } from './probe.js';
import type { Evidence, Kpi, ScenarioContext } from './scenario.js';

// Lane-neutral bodies of the two crash scenarios: the lanes differ in the events they publish and
// in the `tail` arguments that select the lane (`env.tailTarget()`), not in the kill-and-check steps.

/** Lane-specific inputs of {@link sigkillSteps}. */
export interface SigkillTraffic {
  /** Embedded: the backlog the first runs replay. */
  backlog(): void;
  /** Embedded: one burst of live traffic, repeated while the kills go on. */
  live(): void;
  /** Give `tail` the snapshot endpoint against the embedded server too (always against a deployment). */
  snapshotWhenEmbedded: boolean;
}

/**
 * `tail --store sqlite:` SIGKILLed at seeded points (50 times, 6 with --quick) during replay and
 * live traffic, restarted each time, checked after every kill ({@link sigkillLoop}).
 */
export async function sigkillSteps(ctx: ScenarioContext, env: LaneEnv, traffic: SigkillTraffic): Promise<{ evidence: Evidence; kpi: Kpi }> {
  expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
  const kills = ctx.quick ? 6 : 50;
  if (env.mode === 'embedded') traffic.backlog();
  else await env.truths(); // the oracle's replay becomes the ledger
  const dbPath = env.path('crash.sqlite');
  const target = env.tailTarget();
  const withSnapshot = env.snapshotUrl !== undefined && (env.mode === 'deployment' || traffic.snapshotWhenEmbedded);
  const snapshot = withSnapshot ? ['--snapshot-url', env.snapshotUrl!] : [];
  const args = [...target.args, ...snapshot, ...env.topics.flatMap((t) => ['--topic', t]), '--store', `sqlite:${dbPath}`];
  const publish = env.mode === 'embedded' ? () => traffic.live() : undefined;
  return sigkillLoop(ctx, env, { args, tailEnv: target.env, dbPath, kills, maxDelayMs: ctx.quick ? 700 : 1100, publish });
}

/** Lane-specific inputs of {@link staleCrashSteps} (embedded only: it prunes the journal). */
export interface StaleCrashPlan {
  /** The topic that goes stale. */
  topic: string;
  /** The events the priming run replays. */
  prime(): void;
  /** The events published after priming; all but the last 5 are then pruned past the stored cursor. */
  advance(): void;
}

/** Evidence of {@link staleCrashSteps}; a lane may add `documents.differing`. */
export interface StaleCrashEvidence extends Evidence {
  primed_watermark: number | undefined;
  retention_floor: number;
  watermark_after_kill: number | null;
  final_watermark: number | null;
  journal_head: number;
  documents: { journal: number; stored: number; differing?: number };
}

/** What {@link staleCrashSteps} leaves for the lane's final assertions. */
export interface StaleCrashOutcome {
  evidence: StaleCrashEvidence;
  /** The store after the restarted run, checked against the journal at its own watermark. */
  final: { watermarks: Record<string, number>; violations: string[] };
  truth: TopicTruth;
  stored: StoreContents;
}

/**
 * A primed `tail` goes stale (retention pruned past its cursor), is SIGKILLed while its snapshot is
 * still downloading (slowed to 3 s a page by a proxy), then restarted with a direct snapshot URL.
 * Returns the final store for the lane's assertions: it must end with the journal, not with what it
 * held before the retention floor.
 */
export async function staleCrashSteps(ctx: ScenarioContext, env: LaneEnv, plan: StaleCrashPlan): Promise<StaleCrashOutcome> {
  const { topic } = plan;
  expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
  plan.prime();
  const dbPath = env.path('recovering.sqlite');
  const base = [...env.tailTarget().args, '--topic', topic, '--store', `sqlite:${dbPath}`];
  const first = await runTail(ctx, base, undefined);
  expect(first.exit.code === 0, `priming run exited ${JSON.stringify(first.exit)}: ${first.stderr}`);
  const primed = await checkStore(env, dbPath);
  plan.advance();
  env.server.prune(topic, env.server.head(topic) - 5);
  // The snapshot is slow (3 s per request): the process dies after reporting stale, mid-download.
  const proxy = await env.proxy({ rules: { http: [{ pathPrefix: '/sync/snapshot', delayMs: 3000 }] } });
  const victim = await runUntilLine(ctx, [...base, '--snapshot-url', proxy.via(env.server.snapshotUrl)], '{"type":"stale"', 20_000);
  expect(victim.seen, `the client never reported ${topic} stale`);
  await sleep(100);
  await victim.kill();
  const afterKill = await loadSqlite(dbPath);
  const restart = await runTail(ctx, [...base, '--snapshot-url', env.server.snapshotUrl], undefined);
  expect(restart.exit.code === 0, `restarted run exited ${JSON.stringify(restart.exit)}: ${restart.stderr}`);
  const final = await checkStore(env, dbPath);
  const truth = env.ledger.truth(topic);
  const stored = await loadSqlite(dbPath);
  const evidence: StaleCrashEvidence = {
    primed_watermark: primed.watermarks[topic],
    retention_floor: (env.server.oldest(topic) ?? 1) - 1,
    watermark_after_kill: afterKill.watermarks[topic] ?? null,
    final_watermark: final.watermarks[topic] ?? null,
    journal_head: truth.head,
    documents: { journal: truth.docs.size, stored: stored.documents.length },
  };
  return { evidence, final, truth, stored };
}
