import { existsSync } from 'node:fs';
import { expect, loadSqlite } from './assertions.js';
import { checkStore, runTail, runUntilLine, sigkillLoop } from './crash-machinery.js';
import { EVENTS, openEnv, RUNS } from './env.js';
import type { Scenario } from './scenario.js';

const crashSafety: Scenario = {
  name: 'crash-safety-sigkill',
  family: 'crash',
  asserts: '`khala-sync tail --store sqlite:` SIGKILLed at seeded random points (≥ 50 times) during replay and live traffic, restarted each time: the store equals the journal at its watermark every time, nothing printed twice, and the final run converges',
  control: false,
  quick: true,
  injects: [],
  timeoutMs: 300_000,
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, EVENTS], server: { maxBatchSize: 50 } });
    expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
    const kills = ctx.quick ? 6 : 50;
    if (env.mode === 'embedded') {
      env.publish(RUNS, ctx.quick ? 600 : 3000, { docs: 80 });
      // One document per event: skipping any event would show in the stored state.
      env.publish(EVENTS, ctx.quick ? 400 : 2000, { docs: 1e9, prefix: 'event' });
    } else {
      await env.truths(); // the oracle's replay becomes the ledger
    }
    const dbPath = env.path('crash.sqlite');
    const target = env.tailTarget();
    const snapshot = env.mode === 'deployment' && env.snapshotUrl ? ['--snapshot-url', env.snapshotUrl] : [];
    const args = [...target.args, ...snapshot, ...env.topics.flatMap((t) => ['--topic', t]), '--store', `sqlite:${dbPath}`];
    const publish = env.mode === 'embedded' ? () => void env.publish(env.rnd.chance(0.5) ? RUNS : EVENTS, env.rnd.int(1, 5), { docs: 80 }) : undefined;
    return sigkillLoop(ctx, env, { args, tailEnv: target.env, dbPath, kills, maxDelayMs: ctx.quick ? 700 : 1100, publish });
  },
};

const crashDuringStaleRecovery: Scenario = {
  name: 'crash-during-stale-recovery',
  family: 'crash',
  asserts: 'a client SIGKILLed after stale_cursor, while its snapshot is still downloading, then restarted: it must still end with the journal (bootstrap again), not with the documents it held before the retention floor',
  control: true,
  quick: false,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
    env.publish(RUNS, 100, { docs: 30 });
    const dbPath = env.path('recovering.sqlite');
    const base = ['--url', env.server.url, '--token-url', env.server.tokenUrl, '--topic', RUNS, '--store', `sqlite:${dbPath}`];
    const first = await runTail(ctx, base, undefined);
    expect(first.exit.code === 0, `priming run exited ${JSON.stringify(first.exit)}`);
    const primed = await checkStore(env, dbPath);
    env.publish(RUNS, 300, { docs: 40 });
    env.server.prune(RUNS, env.server.head(RUNS) - 5);
    // The snapshot is slow (3 s per request): the process dies after stale_cursor, mid-download.
    const proxy = await env.proxy({ rules: { http: [{ pathPrefix: '/sync/snapshot', delayMs: 3000 }] } });
    const victim = await runUntilLine(ctx, [...base, '--snapshot-url', proxy.via(env.server.snapshotUrl)], '{"type":"stale"', 20_000);
    expect(victim.seen, 'the client never reported stale_cursor');
    await new Promise((r) => setTimeout(r, 100));
    await victim.kill();
    const afterKill = await loadSqlite(dbPath);
    const restart = await runTail(ctx, [...base, '--snapshot-url', env.server.snapshotUrl], undefined);
    expect(restart.exit.code === 0, `restarted run exited ${JSON.stringify(restart.exit)}: ${restart.stderr}`);
    const final = await checkStore(env, dbPath);
    const truth = env.ledger.truth(RUNS);
    const stored = await loadSqlite(dbPath);
    const have = new Map(stored.documents.map((d) => [d.docKey, d.docVersion]));
    const wrong = [...truth.docs].filter(([k, d]) => have.get(k) !== d.docVersion).length;
    const evidence = {
      primed_watermark: primed.watermarks[RUNS],
      retention_floor: (env.server.oldest(RUNS) ?? 1) - 1,
      watermark_after_kill: afterKill.watermarks[RUNS] ?? null,
      final_watermark: final.watermarks[RUNS] ?? null,
      journal_head: truth.head,
      documents: { journal: truth.docs.size, stored: stored.documents.length, differing: wrong },
    };
    expect(final.violations.length === 0, `after the restart the store is live at ${String(final.watermarks[RUNS])} but ${wrong} of ${truth.docs.size} documents differ from the journal (${final.violations.join('; ')}): the cleared cursor made the restart replay from the oldest retained event without a snapshot`, evidence);
    return { evidence, kpi: { staleCursors: 1 } };
  },
};

export const crashScenarios: Scenario[] = [crashSafety, crashDuringStaleRecovery];
