import { converge, expect, waitFor } from './assertions.js';
import { openEnv, RUNS, WORKERS } from './env.js';
import { AppliedHistory, type Probe } from './probe.js';
import { replayFromZeroSteps, resumeFromCheckpointSteps, storedEqualsTruth } from './replay-steps.js';
import { ScenarioFailure, type Evidence, type Scenario, type ScenarioContext } from './scenario.js';

const replayFromZero: Scenario = {
  name: 'replay-from-zero',
  family: 'replay',
  asserts: 'a fresh client (SQLite and memory) replays every topic from zero, goes live, applies live updates once; the store file equals the journal',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS] });
    const { evidence, kpi } = await replayFromZeroSteps(ctx, env, {
      backlog: (n) => {
        env.publish(RUNS, n, { docs: 80 });
        env.publish(WORKERS, Math.floor(n / 3), { docs: 25 });
      },
      live: (i) => env.publish(i % 2 ? RUNS : WORKERS, 1).length,
    });
    return { evidence, kpi };
  },
};

const resumeFromCheckpoint: Scenario = {
  name: 'resume-from-checkpoint',
  family: 'replay',
  asserts: 'a client restarted on its SQLite file resumes after its stored cursor: exactly the events published while it was away, none re-applied',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS] });
    const { evidence, kpi } = await resumeFromCheckpointSteps(ctx, env, {
      backlog: () => {
        env.publish(RUNS, ctx.quick ? 200 : 800);
        env.publish(WORKERS, ctx.quick ? 50 : 300);
      },
      away: () => env.publish(RUNS, ctx.quick ? 120 : 500).length + env.publish(WORKERS, 40).length,
    });
    return { evidence, kpi };
  },
};

interface Boundary {
  direction: 'to_client' | 'to_server';
  frame: number;
}

const resumeEveryFrameBoundary: Scenario = {
  name: 'resume-every-frame-boundary',
  family: 'replay',
  asserts: 'the connection cut before every frame of a replay (both directions); the client (reconnecting, or restarted on its SQLite file) resumes with no seq applied twice and none skipped',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS], server: { maxBatchSize: 10 } });
    if (env.mode === 'embedded') {
      env.publish(RUNS, ctx.quick ? 30 : 70, { docs: 12 });
      env.publish(WORKERS, ctx.quick ? 20 : 40, { docs: 6 });
    }
    const truths = await env.truths();
    const proxy = await env.proxy();
    // Dry run: count the frames of one complete replay.
    const dry = await env.probe({ via: proxy, label: 'dry' }).start();
    await converge(ctx, env, dry, 'dry run', { truths });
    await dry.close();
    const frames = proxy.stats().toClient.frames;
    const boundaries: Boundary[] = [];
    const maxBoundaries = 60;
    const step = Math.max(1, Math.ceil(frames / maxBoundaries));
    for (let k = 0; k < frames; k += step) boundaries.push({ direction: 'to_client', frame: k });
    boundaries.push({ direction: 'to_server', frame: 0 }, { direction: 'to_server', frame: 1 });
    const rows: string[] = [];
    let duplicates = 0;
    let outOfOrder = 0;
    let connections = 0;
    for (const [i, b] of boundaries.entries()) {
      const restart = i % 2 === 1;
      const cutsBefore = proxy.stats().cuts;
      const rule = { cutAtFrame: b.frame, cutTimes: 1 };
      proxy.setRules(b.direction === 'to_client' ? { toClient: rule } : { toServer: rule });
      const history = new AppliedHistory();
      const dbPath = env.path(`boundary-${i}.sqlite`);
      let probe: Probe = await env.probe({ via: proxy, sqlitePath: dbPath, history, label: `b${i}` }).start();
      // Against a deployment the replay may be shorter than the dry run's: converged without a cut is fine.
      const live = (): boolean => probe.client.status === 'live' && truths.every((t) => (probe.client.getWatermark(t.topic) ?? -1) >= t.head);
      await waitFor(ctx, () => proxy.stats().cuts > cutsBefore || (env.mode === 'deployment' && live()), `the cut at ${b.direction} frame ${b.frame}`, 10_000);
      const wasCut = proxy.stats().cuts > cutsBefore;
      const appliedAtCut = history.count();
      if (restart) {
        connections += probe.attempts;
        await probe.close();
        probe = await env.probe({ via: proxy, sqlitePath: dbPath, history, label: `b${i}r` }).start();
      }
      await converge(ctx, env, probe, `boundary ${b.direction}#${b.frame}${restart ? ' (restart)' : ''}`, { truths });
      const cut = proxy.events().filter((e) => e.kind === 'cut').at(-1);
      rows.push(`${b.direction === 'to_client' ? 'c' : 's'}${b.frame}:${wasCut ? cut?.event ?? '?' : 'no-cut'}:${appliedAtCut}${restart ? ':r' : ''}`);
      duplicates += history.duplicates;
      outOfOrder += history.outOfOrder;
      connections += probe.attempts;
      await probe.close();
      await storedEqualsTruth(env, dbPath, truths);
    }
    proxy.setRules({});
    // per_boundary: `<c|s><frame>:<event cut>:<updates applied when the cut was seen>[:r = restarted on the file]`.
    const evidence: Evidence = { frames_per_replay: frames, boundaries: boundaries.length, step, cuts: proxy.stats().cuts, per_boundary: rows, duplicates };
    return { evidence, kpi: { duplicates, outOfOrder, resumes: boundaries.length, connections } };
  },
};

const serverRestartMidReplay: Scenario = {
  name: 'server-restart-mid-replay',
  family: 'replay',
  asserts: 'the server restarts (close 1012, same port, journal kept) in the middle of a long replay; the client resumes from its durable cursor and converges exactly once',
  control: true,
  quick: true,
  injects: ['restart'],
  async run(ctx: ScenarioContext) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS], server: { maxBatchSize: 25 } });
    const total = env.publish(RUNS, ctx.quick ? 800 : 3000).length + env.publish(WORKERS, ctx.quick ? 200 : 1000).length;
    const truths = await env.truths();
    const dbPath = env.path('restart.sqlite');
    const probe = env.probe({ sqlitePath: dbPath, label: 'restart' });
    let appliedAtRestart = -1;
    let restarted: Promise<void> | undefined;
    const t0 = Date.now();
    probe.client.on('updates', () => {
      if (restarted || probe.history.count() < total / 3) return;
      appliedAtRestart = probe.history.count();
      restarted = env.server.restart();
    });
    await probe.start();
    await waitFor(ctx, () => restarted !== undefined, 'a third of the replay', 30_000);
    await restarted;
    const restartedAt = Date.now() - t0;
    await converge(ctx, env, probe, 'client after restart', { truths });
    expect(appliedAtRestart < total, `the replay had finished before the restart (${appliedAtRestart}/${total})`);
    await probe.close();
    await storedEqualsTruth(env, dbPath, truths);
    return {
      evidence: { events: total, applied_at_restart: appliedAtRestart, restart_at_ms: restartedAt, converged_ms: Date.now() - t0, attempts: probe.attempts, duplicates: probe.history.duplicates },
      kpi: { duplicates: probe.history.duplicates, outOfOrder: probe.history.outOfOrder, resumes: 1, connections: probe.attempts, staleCursors: probe.log.stale.length },
    };
  },
};

const replayFromZeroPruned: Scenario = {
  name: 'replay-from-zero-pruned',
  family: 'replay',
  asserts: 'a fresh client (snapshot source configured) on a summary topic whose journal tail was pruned ends with the journal: every document, at its latest version',
  control: true,
  quick: false,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    env.publish(RUNS, 300, { docs: 40 });
    env.server.prune(RUNS, env.server.head(RUNS) - 5);
    const probe = await env.probe({ label: 'fresh', sqlitePath: env.path('fresh.sqlite') }).start();
    const truth = env.ledger.truth(RUNS);
    const evidence = (): Evidence => ({ retention_floor: (env.server.oldest(RUNS) ?? 1) - 1, journal_documents: truth.docs.size, client_documents: probe.client.listDocuments(RUNS).length, bootstraps: probe.log.bootstraps.length, stale: probe.log.stale.length });
    try {
      await converge(ctx, env, probe, 'fresh client on a pruned topic');
    } catch (err) {
      if (err instanceof ScenarioFailure) throw new ScenarioFailure(`${err.message} (no stale_cursor and no snapshot: a subscribe without resume_after replays only the retained tail)`, { ...err.evidence, ...evidence() });
      throw err;
    }
    return { evidence: evidence(), kpi: { duplicates: probe.history.duplicates, outOfOrder: probe.history.outOfOrder } };
  },
};

export const replayScenarios: Scenario[] = [replayFromZero, replayFromZeroPruned, resumeFromCheckpoint, resumeEveryFrameBoundary, serverRestartMidReplay];
