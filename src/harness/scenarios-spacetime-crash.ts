import { existsSync } from 'node:fs';
import { expect, loadSqlite } from './assertions.js';
import { checkStore, runTail, runUntilLine, sigkillLoop } from './crash-machinery.js';
import type { Scenario } from './scenario.js';
import { openSpacetimeEnv, ST_RUN, ST_WORKER } from './spacetime-env.js';

const crashSafety: Scenario = {
  name: 'spacetime-crash-safety-sigkill',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: `khala-sync tail --lane spacetime --store sqlite:` SIGKILLed at seeded random points (50 times; 6 with --quick) during replay and live multi-row transactions, restarted each time: the store equals the journal at its watermark every time, nothing printed twice or before its commit, and the final run converges',
  control: false,
  quick: false,
  injects: [],
  timeoutMs: 300_000,
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN] });
    expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
    const kills = ctx.quick ? 6 : 50;
    if (env.mode === 'embedded') {
      // Every row is its own document: a skipped event shows in the stored state.
      env.publish(ST_WORKER, ctx.quick ? 600 : 3000, { perTx: 5 });
      env.publish(ST_RUN, ctx.quick ? 400 : 2000, { perTx: 2 });
    } else {
      await env.truths(); // the oracle's replay becomes the ledger
    }
    const dbPath = env.path('crash.sqlite');
    const target = env.tailTarget();
    const snapshot = env.snapshotUrl ? ['--snapshot-url', env.snapshotUrl] : [];
    const args = [...target.args, ...snapshot, ...env.topics.flatMap((t) => ['--topic', t]), '--store', `sqlite:${dbPath}`];
    const publish = env.mode === 'embedded' ? () => void env.publish(env.rnd.chance(0.5) ? ST_WORKER : ST_RUN, env.rnd.int(1, 5), { perTx: 3 }) : undefined;
    const result = await sigkillLoop(ctx, env, { args, tailEnv: target.env, dbPath, kills, maxDelayMs: ctx.quick ? 700 : 1100, publish });
    return { evidence: { lane: 'spacetime', ...result.evidence }, kpi: result.kpi };
  },
};

const crashDuringStaleRecovery: Scenario = {
  name: 'spacetime-crash-during-stale-recovery',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: `tail --lane spacetime` SIGKILLed after the local retention_floor_breach, while its snapshot is still downloading, then restarted: it must detect the gap again and bootstrap, ending with every event of the journal (one document per event)',
  control: true,
  quick: false,
  injects: ['stale'],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER] });
    expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
    env.publish(ST_WORKER, 100, { perTx: 4 });
    const dbPath = env.path('recovering.sqlite');
    const base = [...env.tailTarget().args, '--topic', ST_WORKER, '--store', `sqlite:${dbPath}`];
    const first = await runTail(ctx, base, undefined);
    expect(first.exit.code === 0, `priming run exited ${JSON.stringify(first.exit)}: ${first.stderr}`);
    const primed = await checkStore(env, dbPath);
    env.publish(ST_WORKER, 300, { perTx: 4 });
    env.server.prune(ST_WORKER, env.server.head(ST_WORKER) - 5);
    // The snapshot is slow (3 s per page): the process dies after stale, mid-download.
    const proxy = await env.proxy({ rules: { http: [{ pathPrefix: '/sync/snapshot', delayMs: 3000 }] } });
    const victim = await runUntilLine(ctx, [...base, '--snapshot-url', proxy.via(env.server.snapshotUrl)], '{"type":"stale"', 20_000);
    expect(victim.seen, 'the client never reported the gap as stale');
    await new Promise((r) => setTimeout(r, 100));
    await victim.kill();
    const afterKill = await loadSqlite(dbPath);
    const restart = await runTail(ctx, [...base, '--snapshot-url', env.server.snapshotUrl], undefined);
    expect(restart.exit.code === 0, `restarted run exited ${JSON.stringify(restart.exit)}: ${restart.stderr}`);
    const final = await checkStore(env, dbPath);
    const truth = env.ledger.truth(ST_WORKER);
    const stored = await loadSqlite(dbPath);
    const evidence = {
      primed_watermark: primed.watermarks[ST_WORKER],
      retention_floor: (env.server.oldest(ST_WORKER) ?? 1) - 1,
      watermark_after_kill: afterKill.watermarks[ST_WORKER] ?? null,
      final_watermark: final.watermarks[ST_WORKER] ?? null,
      journal_head: truth.head,
      documents: { journal: truth.docs.size, stored: stored.documents.length },
    };
    expect(final.watermarks[ST_WORKER] === truth.head, `the restarted run ended at ${String(final.watermarks[ST_WORKER])}, the journal head is ${truth.head}`, evidence);
    expect(final.violations.length === 0, `after the restart: ${final.violations.join('; ')}`, evidence);
    return { evidence, kpi: { staleCursors: 1 } };
  },
};

export const spacetimeCrashScenarios: Scenario[] = [crashSafety, crashDuringStaleRecovery];
