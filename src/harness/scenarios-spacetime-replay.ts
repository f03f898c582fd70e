import { converge, expect, replayLatency } from './assertions.js';
import { AppliedHistory } from './probe.js';
import { storedEqualsTruth } from './scenarios-replay.js';
import type { Scenario } from './scenario.js';
import { openSpacetimeEnv, ST_NOTES, ST_RUN, ST_WORKER } from './spacetime-env.js';

// The Spacetime lane's replay is one `SubscribeMultiApplied` per stream (every row at once) and its
// live tail one `TransactionUpdate` per commit: publishes use multi-row transactions so that a
// frame carries several seqs, as production commits do.

const replayFromZero: Scenario = {
  name: 'spacetime-replay-from-zero',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: fresh clients (SQLite and memory) replay three sync_event streams from zero, go live, apply multi-row live transactions once; the store file equals the journal',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN, ST_NOTES] });
    const n = ctx.quick ? 300 : 2000;
    if (env.mode === 'embedded') {
      env.publish(ST_WORKER, n, { perTx: 5 });
      env.publish(ST_RUN, Math.floor(n / 3), { perTx: 3 });
      env.publish(ST_NOTES, Math.floor(n / 5));
    }
    const truths = await env.truths();
    const dbPath = env.path('zero.sqlite');
    const sqlite = await env.probe({ sqlitePath: dbPath, label: 'sqlite' }).start();
    const memory = await env.probe({ label: 'memory' }).start();
    await converge(ctx, env, sqlite, 'sqlite client', { truths });
    await converge(ctx, env, memory, 'memory client', { truths });
    const latencies = [replayLatency(sqlite, env.topics), replayLatency(memory, env.topics)].filter((x): x is number => x !== undefined);
    let live = 0;
    if (env.mode === 'embedded') {
      for (let i = 0; i < 40; i++) live += env.publish(env.topics[i % env.topics.length]!, env.rnd.int(1, 4), { perTx: 4 }).length;
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
        errors: [...sqlite.errorCodes(), ...memory.errorCodes()],
      },
      kpi: { replayLatencyMs: latencies, duplicates, outOfOrder: sqlite.history.outOfOrder + memory.history.outOfOrder, connections: sqlite.attempts + memory.attempts },
    };
  },
};

const resumeFromCheckpoint: Scenario = {
  name: 'spacetime-resume-from-checkpoint',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: a client restarted on its SQLite file subscribes with `seq > <stored cursor>` per stream and applies exactly the events committed while it was away, none re-applied',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN] });
    const dbPath = env.path('checkpoint.sqlite');
    const history = new AppliedHistory();
    if (env.mode === 'embedded') {
      env.publish(ST_WORKER, ctx.quick ? 200 : 800, { perTx: 4 });
      env.publish(ST_RUN, ctx.quick ? 50 : 300);
    }
    const first = await env.probe({ sqlitePath: dbPath, history, label: 'first' }).start();
    await converge(ctx, env, first, 'first run');
    const cursors = Object.fromEntries(env.topics.map((t) => [t, first.client.getWatermark(t)]));
    await first.close();
    let away = 0;
    if (env.mode === 'embedded') away = env.publish(ST_WORKER, ctx.quick ? 120 : 500, { perTx: 4 }).length + env.publish(ST_RUN, 40).length;
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
    const stale = first.log.stale.length + second.log.stale.length;
    if (env.mode === 'embedded') expect(stale === 0, `a resume within retention went stale ${stale} time(s): ${JSON.stringify(second.log.stale)}`);
    return {
      evidence: { cursors, published_while_away: away, applied_after_restart: resumedApplied, duplicates: history.duplicates, stale },
      kpi: { resumes: env.topics.length, duplicates: history.duplicates, outOfOrder: history.outOfOrder, staleCursors: stale, connections: first.attempts + second.attempts },
    };
  },
};

export const spacetimeReplayScenarios: Scenario[] = [replayFromZero, resumeFromCheckpoint];
