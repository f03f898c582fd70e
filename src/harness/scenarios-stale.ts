import { copyFileSync, existsSync } from 'node:fs';
import { converge, expect, waitFor } from './assertions.js';
import { EVENTS, openEnv, RUNS, WORKERS, type Env } from './env.js';
import { AppliedHistory, sleep, type Probe } from './probe.js';
import { checkpoint } from './replay-steps.js';
import type { Scenario } from './scenario.js';
import { bootstrapLatencies, recoveryKpi, storeMatches } from './stale-checks.js';

const staleRetentionFloor: Scenario = {
  name: 'stale-retention-floor',
  family: 'stale',
  asserts: 'a cursor behind the retention floor: one stale_cursor (three copies collapsed), one snapshot bootstrap, live from the snapshot head; the fresh topic resumes from its own cursor',
  control: true,
  quick: true,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS] });
    env.publish(RUNS, 100, { docs: 30 });
    env.publish(WORKERS, 40, { docs: 10 });
    const dbPath = env.path('stale.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    env.publish(RUNS, ctx.quick ? 200 : 800, { docs: 30 });
    env.publish(WORKERS, 15, { docs: 10 });
    env.server.prune(RUNS, env.server.head(RUNS) - 50);
    const probe = await env.probe({ sqlitePath: dbPath, history, label: 'stale' }).start();
    await converge(ctx, env, probe, 'after bootstrap', { startCursor: cursors });
    expect(probe.log.stale.length === 1 && probe.log.stale[0]!.topic === RUNS && probe.log.stale[0]!.reason === 'retention_floor_breach', `expected one retention_floor_breach on ${RUNS}, saw ${JSON.stringify(probe.log.stale)}`);
    expect(probe.log.bootstraps.length === 1, `expected one bootstrap, saw ${probe.log.bootstraps.length}`);
    const workerSeqs = (history.applied.get(WORKERS) ?? []).filter((s) => s > (cursors[WORKERS] ?? 0));
    expect(workerSeqs.length === 15, `the fresh topic applied ${workerSeqs.length} updates after its cursor, 15 were published`);
    env.publish(RUNS, 30);
    env.publish(WORKERS, 10);
    await converge(ctx, env, probe, 'live after bootstrap', { startCursor: cursors });
    await probe.close();
    await storeMatches(env, dbPath);
    const latencies = bootstrapLatencies(probe);
    return {
      evidence: { cursors, retention_floor: env.server.oldest(RUNS)! - 1, snapshot_head: probe.log.bootstraps[0]?.head, stale: probe.log.stale.length, bootstraps: probe.log.bootstraps.length, bootstrap_ms: latencies, duplicates: history.duplicates },
      kpi: recoveryKpi(probe, history, { resumes: 2, latency: true }),
    };
  },
};

const staleReplayBudget: Scenario = {
  name: 'stale-replay-budget',
  family: 'stale',
  asserts: 'replay_budget_exceeded: the snapshot topic bootstraps; the topic without snapshot replays what is retained (cursor left out) and applies nothing twice',
  control: true,
  quick: true,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, {
      topics: [RUNS, EVENTS],
      server: { topics: { [RUNS]: { replayBudget: 50, snapshot: true, qosTier: 'warm' }, [EVENTS]: { replayBudget: 50, snapshot: false, qosTier: 'hot' } } },
    });
    env.publish(RUNS, 30, { docs: 10 });
    env.publish(EVENTS, 30, { docs: 5000, prefix: 'event' });
    const dbPath = env.path('budget.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    env.publish(RUNS, ctx.quick ? 120 : 400, { docs: 10 });
    env.publish(EVENTS, ctx.quick ? 120 : 400, { docs: 5000, prefix: 'event' });
    const probe = await env.probe({ sqlitePath: dbPath, history, label: 'budget' }).start();
    await converge(ctx, env, probe, 'after budget recovery', { startCursor: cursors });
    const reasons = probe.log.stale.map((s) => `${s.topic}:${s.reason ?? '?'}`).sort();
    expect(reasons.join() === [`${EVENTS}:replay_budget_exceeded`, `${RUNS}:replay_budget_exceeded`].sort().join(), `stale reasons ${reasons.join()}`);
    expect(probe.log.bootstraps.map((b) => b.topic).join() === RUNS, `bootstraps: ${JSON.stringify(probe.log.bootstraps)}`);
    const replayed = (history.applied.get(EVENTS) ?? []).filter((s) => s > (cursors[EVENTS] ?? 0)).length;
    await probe.close();
    await storeMatches(env, dbPath);
    return {
      evidence: { cursors, stale: reasons, bootstraps: probe.log.bootstraps.length, events_replayed_without_snapshot: replayed, duplicates: history.duplicates },
      kpi: recoveryKpi(probe, history, { resumes: 2, latency: true }),
    };
  },
};

const staleDuringBootstrap: Scenario = {
  name: 'stale-during-bootstrap',
  family: 'stale',
  asserts: 'during a slow snapshot bootstrap the socket is cut and retention passes the snapshot head: the topic stops with stale_cursor_loop once (no loop, other topic live), and resync() recovers to the journal',
  control: true,
  quick: true,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS], server: { snapshotPageSize: 10 } });
    env.publish(RUNS, 100, { docs: 60 });
    env.publish(WORKERS, 20, { docs: 5 });
    const dbPath = env.path('during.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    env.publish(RUNS, 300, { docs: 60 });
    env.server.prune(RUNS, env.server.head(RUNS) - 20);
    let pages = 0;
    let struck = false;
    const proxy = await env.proxy({
      rules: { http: [{ pathPrefix: '/sync/snapshot', delayMs: 120 }] },
      onRequest: (req) => {
        if (!req.path.startsWith('/sync/snapshot')) return;
        pages += 1;
        if (pages !== 2 || struck) return;
        struck = true;
        // Mid-bootstrap: the socket dies, and retention moves past the pinned snapshot head.
        proxy.cutAll();
        env.publish(RUNS, 150, { docs: 60 });
        env.server.prune(RUNS, env.server.head(RUNS) - 10);
      },
    });
    const probe = await env.probe({ via: proxy, sqlitePath: dbPath, history, label: 'during' }).start();
    await waitFor(ctx, () => probe.errorCodes().includes('stale_cursor_loop'), 'stale_cursor_loop', 20_000, () => ({ errors: probe.errorCodes(), pages }));
    const staleAtStop = env.server.stats().staleCursors;
    await sleep(ctx.quick ? 600 : 1200);
    const staleLater = env.server.stats().staleCursors;
    expect(staleLater === staleAtStop, `stale_cursor kept coming after the stop (${staleAtStop} → ${staleLater}): a loop`);
    expect(probe.client.getSnapshot().topics[WORKERS]?.phase === 'live', `${WORKERS} is not live while ${RUNS} stopped`);
    expect(probe.errorCodes().filter((c) => c === 'stale_cursor_loop').length === 1, `stale_cursor_loop reported ${probe.errorCodes().filter((c) => c === 'stale_cursor_loop').length} times`);
    probe.client.resync(RUNS);
    await converge(ctx, env, probe, 'after resync', { startCursor: cursors });
    await probe.close();
    await storeMatches(env, dbPath);
    return {
      evidence: { cursors, snapshot_requests: pages, cut_during_bootstrap: struck, stale_cursors_at_server: staleLater, bootstraps: probe.log.bootstraps.map((b) => b.head), errors: probe.errorCodes().filter((c) => c.startsWith('stale')), duplicates: history.duplicates },
      kpi: recoveryKpi(probe, history),
    };
  },
};

const snapshotGenerationMoves: Scenario = {
  name: 'snapshot-generation-moves',
  family: 'stale',
  asserts: 'the snapshot generation moves twice mid-pagination (410): the client restarts from the first page and applies one consistent generation, then converges',
  control: true,
  quick: true,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS], server: { snapshotPageSize: 8 } });
    env.publish(RUNS, 100, { docs: 50 });
    const dbPath = env.path('generation.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    env.publish(RUNS, 200, { docs: 50 });
    env.server.prune(RUNS, env.server.head(RUNS) - 30);
    let requests = 0;
    let moves = 0;
    const proxy = await env.proxy({
      onRequest: (req) => {
        if (!req.path.startsWith('/sync/snapshot')) return;
        requests += 1;
        // Move while the client holds a page token: on the 3rd page of the first two generations.
        if (req.query['page_token'] && moves < 2 && requests === 3 + moves * 4) {
          moves += 1;
          env.server.faults.moveSnapshotGeneration(RUNS);
          env.publish(RUNS, 10, { docs: 50 });
        }
      },
    });
    const probe = await env.probe({ via: proxy, sqlitePath: dbPath, history, label: 'generation' }).start();
    await converge(ctx, env, probe, 'after moving generations', { startCursor: cursors });
    const gone = proxy.stats().http.statuses['410'] ?? 0;
    expect(moves === 2 && gone === 2, `expected two generation moves answered 410, saw moves=${moves} 410s=${gone}`);
    expect(probe.log.bootstraps.length === 1, `expected one applied snapshot, saw ${probe.log.bootstraps.length}`);
    await probe.close();
    await storeMatches(env, dbPath);
    return {
      evidence: { snapshot_requests: requests, generation_moves: moves, http_statuses: proxy.stats().http.statuses, snapshot_head: probe.log.bootstraps[0]?.head, duplicates: history.duplicates },
      kpi: recoveryKpi(probe, history, { latency: true }),
    };
  },
};

const snapshotHttpErrors: Scenario = {
  name: 'snapshot-http-errors',
  family: 'stale',
  asserts: 'snapshot answers 429 and 5xx with Retry-After: the client waits as told (no hammering), then bootstraps and converges',
  control: true,
  quick: true,
  injects: ['stale', 'snapshot_errors'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    env.publish(RUNS, 40, { docs: 20 });
    const dbPath = env.path('http.sqlite');
    const history = new AppliedHistory();
    const { cursors } = await checkpoint(ctx, env, dbPath, history);
    env.publish(RUNS, 100, { docs: 20 });
    env.server.prune(RUNS, env.server.head(RUNS) - 10);
    const fives = ctx.quick ? 1 : 2;
    // The proxy answers the first request 429 (Retry-After 1 s); the server then answers 503 (Retry-After 1 s).
    env.server.faults.snapshotStatus(503, 1, fives);
    const proxy = await env.proxy({ rules: { http: [{ pathPrefix: '/sync/snapshot', status: 429, retryAfterSeconds: 1, times: 1 }] } });
    const probe = await env.probe({ via: proxy, sqlitePath: dbPath, history, label: 'http' }).start();
    await converge(ctx, env, probe, 'after snapshot retries', { startCursor: cursors });
    const stale = probe.log.stale[0];
    const boot = probe.log.bootstraps[0];
    expect(stale && boot, 'no stale/bootstrap recorded');
    const waited = boot.at - stale.at;
    const statuses = proxy.stats().http.statuses;
    expect(waited >= (1 + fives) * 1000 - 150, `bootstrap after ${waited} ms: Retry-After (${1 + fives} × 1 s) not honoured`);
    expect((statuses['429'] ?? 0) === 1 && (statuses['503'] ?? 0) === fives, `statuses ${JSON.stringify(statuses)}`);
    await probe.close();
    await storeMatches(env, dbPath);
    return {
      evidence: { waited_ms: waited, retry_after_s: 1, http_statuses: statuses, duplicates: history.duplicates },
      kpi: recoveryKpi(probe, history, { latency: true }),
    };
  },
};

const staleEveryFrameBoundary: Scenario = {
  name: 'stale-recovery-every-frame-boundary',
  family: 'stale',
  asserts: 'the connection cut before every frame of a stale_cursor recovery (three stale copies, fresh-topic resubscribe, post-snapshot replay): the client reconnects, recovers once per stale answer and converges exactly once',
  control: true,
  quick: true,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS], server: { maxBatchSize: 10 } });
    env.publish(RUNS, 60, { docs: 20 });
    env.publish(WORKERS, 20, { docs: 6 });
    const primed = env.path('primed.sqlite');
    const { cursors } = await checkpoint(ctx, env, primed, new AppliedHistory());
    env.publish(RUNS, 200, { docs: 20 });
    env.publish(WORKERS, ctx.quick ? 15 : 35, { docs: 6 });
    env.server.prune(RUNS, env.server.head(RUNS) - 40);
    const proxy = await env.proxy();
    const copy = (name: string): string => {
      const to = env.path(name);
      copyFileSync(primed, to);
      for (const ext of ['-wal', '-shm']) if (existsSync(primed + ext)) copyFileSync(primed + ext, to + ext);
      return to;
    };
    // Dry run: the frames of one complete recovery.
    const dry = await env.probe({ via: proxy, sqlitePath: copy('dry.sqlite'), label: 'dry' }).start();
    await converge(ctx, env, dry, 'dry run', { startCursor: cursors });
    await dry.close();
    const frames = proxy.stats().toClient.frames;
    const rows: string[] = [];
    let duplicates = 0;
    let outOfOrder = 0;
    let stale = 0;
    let connections = 0;
    for (let k = 0; k < frames; k++) {
      const cutsBefore = proxy.stats().cuts;
      proxy.setRules({ toClient: { cutAtFrame: k, cutTimes: 1 } });
      const history = new AppliedHistory();
      const probe = await env.probe({ via: proxy, sqlitePath: copy(`b${k}.sqlite`), history, label: `b${k}` }).start();
      await waitFor(ctx, () => proxy.stats().cuts > cutsBefore || reachedNow(env, probe), `the cut at frame ${k}`, 10_000);
      await converge(ctx, env, probe, `stale recovery cut at frame ${k}`, { startCursor: cursors });
      const cut = proxy.events().filter((e) => e.kind === 'cut').at(-1);
      rows.push(`${k}:${proxy.stats().cuts > cutsBefore ? cut?.event ?? '?' : 'none'}:stale${probe.log.stale.length}:boot${probe.log.bootstraps.length}`);
      duplicates += history.duplicates;
      outOfOrder += history.outOfOrder;
      stale += probe.log.stale.length;
      connections += probe.attempts;
      await probe.close();
    }
    proxy.setRules({});
    return {
      evidence: { frames_per_recovery: frames, boundaries: frames, per_boundary: rows, duplicates },
      kpi: { duplicates, outOfOrder, staleCursors: stale, connections },
    };
  },
};

/** The probe already sits at the ledger heads (a cut past the last frame never fires). */
function reachedNow(env: Env, probe: Probe): boolean {
  return probe.client.status === 'live' && (env.ledgerTruths() ?? []).every((t) => probe.client.getWatermark(t.topic) === t.head);
}

export const staleScenarios: Scenario[] = [staleRetentionFloor, staleEveryFrameBoundary, staleReplayBudget, staleDuringBootstrap, snapshotGenerationMoves, snapshotHttpErrors];
