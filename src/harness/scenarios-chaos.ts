import type { CompatibilityWindow } from '../server/options.js';
import { converge, expect, loadSqlite, waitFor } from './assertions.js';
import { openEnv, RUNS, WORKERS } from './env.js';
import { sleep } from './probe.js';
import type { Scenario } from './scenario.js';

const slowConsumer: Scenario = {
  name: 'slow-consumer',
  family: 'chaos',
  asserts: 'a bandwidth-throttled client overflows the live queue: two slow_consumer throttles keep the connection and catch up, the third disconnects; it reconnects no sooner than reconnect_after_ms and converges exactly once',
  control: true,
  quick: true,
  injects: ['slow_consumer'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS], server: { queueLimit: 1, drainTopicsPerTick: 1, maxStrikes: 3 } });
    env.publish(RUNS, 60, { docs: 15 });
    env.publish(WORKERS, 30, { docs: 8 });
    const proxy = await env.proxy({ rules: { toClient: { bytesPerSecond: 300_000 } } });
    const probe = await env.probe({ via: proxy, label: 'slow' }).start();
    await converge(ctx, env, probe, 'before the strikes');
    const strikes = (): number => probe.errorCodes().filter((c) => c === 'slow_consumer').length;
    const joins0 = env.server.stats().joins;
    const timings: number[] = [];
    for (let strike = 1; strike <= 3; strike++) {
      // Two topics notified in one tick while the queue holds one: a strike (§8.3).
      env.publish(RUNS, 1, { docs: 15 });
      env.publish(WORKERS, 1, { docs: 8 });
      const t0 = Date.now();
      await waitFor(ctx, () => strikes() >= strike, `slow_consumer strike ${strike}`, 10_000, () => ({ errors: probe.errorCodes() }));
      if (strike < 3) {
        await converge(ctx, env, probe, `caught up after throttle ${strike}`);
        expect(env.server.stats().joins === joins0, `throttle ${strike} dropped the connection`);
      } else {
        await waitFor(ctx, () => env.server.stats().joins > joins0, 'rejoin after the disconnect', 15_000);
        timings.push(Date.now() - t0);
        await converge(ctx, env, probe, 'after the disconnect');
      }
    }
    const evictions = env.server.stats().slowConsumerEvictions;
    const evidence = { strikes: strikes(), evictions, rejoin_after_ms: timings[0], reconnect_after_ms: 2000, throttle_bytes_per_s: 300_000, frames_throttled: proxy.stats().toClient.delivered, duplicates: probe.history.duplicates };
    expect(evictions === 1, `expected one eviction, saw ${evictions}`, evidence);
    expect((timings[0] ?? 0) >= 1900, `reconnected after ${timings[0]} ms, before reconnect_after_ms (2000)`, evidence);
    return { evidence, kpi: { evictions, connections: probe.attempts, duplicates: probe.history.duplicates, outOfOrder: probe.history.outOfOrder } };
  },
};

const heartbeatSilence: Scenario = {
  name: 'heartbeat-silence',
  family: 'chaos',
  asserts: 'a zombie socket (server → client frames black-holed, TCP open): the client declares it dead after deadAfterMs, reconnects and converges, events published meanwhile included',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    if (env.mode === 'embedded') env.publish(RUNS, 30, { docs: 10 });
    const proxy = await env.proxy();
    const deadAfterMs = 700;
    const heartbeatIntervalMs = 150;
    const probe = await env.probe({ via: proxy, label: 'zombie', heartbeatIntervalMs, deadAfterMs }).start();
    await converge(ctx, env, probe, 'before the silence');
    const zombie = proxy.stats().connections;
    proxy.setRules({ toClient: { stall: true, match: (f) => f.connection === zombie } });
    const t0 = Date.now();
    if (env.mode === 'embedded') env.publish(RUNS, 10, { docs: 10 });
    await waitFor(ctx, () => probe.errorCodes().includes('heartbeat_timeout'), 'heartbeat_timeout', 10_000);
    const detectMs = Date.now() - t0;
    const stalled = proxy.stats().toClient.stalled;
    await converge(ctx, env, probe, 'after the zombie');
    const evidence = { dead_after_ms: deadAfterMs, detected_after_ms: detectMs, frames_black_holed: stalled, new_connections: proxy.stats().connections - zombie, duplicates: probe.history.duplicates };
    // The silence began at the last frame delivered, up to one heartbeat round trip before the stall.
    expect(detectMs >= deadAfterMs - heartbeatIntervalMs - 50 && detectMs <= deadAfterMs + 1500, `silence detected after ${detectMs} ms (deadAfterMs ${deadAfterMs})`, evidence);
    expect(stalled > 0, 'nothing was black-holed', evidence);
    return { evidence, kpi: { duplicates: probe.history.duplicates, outOfOrder: probe.history.outOfOrder, connections: probe.attempts, resumes: 1, staleCursors: probe.log.stale.length } };
  },
};

const tokenExpiry: Scenario = {
  name: 'token-expiry',
  family: 'chaos',
  asserts: 'the token expires mid-stream (the open socket keeps delivering), the connection drops, the next token handed out is already expired (403): the client re-mints once and resumes; never auth_required',
  control: true,
  quick: true,
  injects: ['auth'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    env.publish(RUNS, 20, { docs: 10 });
    let calls = 0;
    let firstMint = 0;
    // Long enough for the first join on a loaded 2-core machine, short enough to expire mid-stream.
    const ttlSeconds = 2;
    const token = async (): Promise<string> => {
      calls += 1;
      if (calls === 1) {
        firstMint = Date.now();
        return env.server.mintToken({ ttlSeconds });
      }
      if (calls === 2) return env.server.mintToken({ expired: true });
      return env.server.mintToken();
    };
    const probe = await env.probe({ token, label: 'expiring' }).start();
    await converge(ctx, env, probe, `with a ${ttlSeconds} s token`);
    const connections0 = env.server.stats().connections;
    // JWT exp has whole-second precision: one extra second makes sure it has passed.
    await sleep(Math.max(0, firstMint + (ttlSeconds + 1) * 1000 + 100 - Date.now()));
    env.publish(RUNS, 10, { docs: 10 });
    await converge(ctx, env, probe, 'after the token expired (same socket)');
    expect(env.server.stats().connections === connections0, 'the socket was replaced while the token expired');
    const refused0 = env.server.stats().upgradesRefused;
    env.server.faults.dropConnections();
    env.publish(RUNS, 10, { docs: 10 });
    await converge(ctx, env, probe, 'after re-minting');
    const refused = env.server.stats().upgradesRefused - refused0;
    const statuses = probe.log.statuses.map((s) => s.status);
    const evidence = { token_calls: calls, upgrades_refused: refused, statuses: statuses.slice(-8), errors: probe.errorCodes(), duplicates: probe.history.duplicates };
    expect(refused === 1 && calls >= 3, `expected one refused upgrade then a fresh token (refused ${refused}, token calls ${calls})`, evidence);
    expect(!statuses.includes('auth_required') && !probe.errorCodes().includes('auth_refused'), 'the client gave up on authentication', evidence);
    return { evidence, kpi: { authFailures: refused, connections: probe.attempts, duplicates: probe.history.duplicates, outOfOrder: probe.history.outOfOrder, resumes: 1 } };
  },
};

const FUTURE_BUILD: CompatibilityWindow = { enforce: true, protocolVersion: 'khala.ws.v1', minClientBuildId: '20990101T000000Z', maxClientBuildId: null, minSchemaVersion: 1, maxSchemaVersion: 1 };

const upgradeRequired: Scenario = {
  name: 'upgrade-required',
  family: 'chaos',
  asserts: 'upgrade_required at join (at start, and after a restart mid-stream): status upgrade_required, no reconnect loop, the stored cursor and documents untouched',
  control: true,
  quick: true,
  injects: ['upgrade', 'restart'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS] });
    env.publish(RUNS, 40, { docs: 10 });
    env.publish(WORKERS, 10, { docs: 4 });
    const quiet = ctx.quick ? 800 : 1500;
    // A: refused from the first join.
    env.server.setCompatibility(FUTURE_BUILD);
    const refused = await env.probe({ label: 'refused' }).start();
    await waitFor(ctx, () => refused.client.status === 'upgrade_required', 'upgrade_required at start', 10_000);
    const c1 = env.server.stats().connections;
    await sleep(quiet);
    const loopA = env.server.stats().connections - c1;
    // B: live first, then the server restarts with a window that excludes this build.
    env.server.setCompatibility(undefined);
    const dbPath = env.path('upgrade.sqlite');
    const probe = await env.probe({ label: 'live', sqlitePath: dbPath }).start();
    await converge(ctx, env, probe, 'before the restart');
    const cursors = Object.fromEntries(env.topics.map((t) => [t, probe.client.getWatermark(t)]));
    env.server.setCompatibility(FUTURE_BUILD);
    await env.server.restart();
    await waitFor(ctx, () => probe.client.status === 'upgrade_required', 'upgrade_required after the restart', 10_000);
    const c2 = env.server.stats().connections;
    await sleep(quiet);
    const loopB = env.server.stats().connections - c2;
    await probe.close();
    const stored = await loadSqlite(dbPath);
    const evidence = { connections_while_waiting: { at_start: loopA, after_restart: loopB }, quiet_ms: quiet, attempts: { refused: refused.attempts, live: probe.attempts }, stored_watermarks: stored.watermarks, cursors };
    expect(loopA === 0 && loopB === 0, 'the client kept reconnecting after upgrade_required', evidence);
    expect(refused.errorCodes().includes('upgrade_required') && probe.errorCodes().includes('upgrade_required'), 'upgrade_required not reported', evidence);
    expect(env.topics.every((t) => stored.watermarks[t] === cursors[t]), 'the stored cursors changed', evidence);
    return { evidence, kpi: { connections: refused.attempts + probe.attempts, duplicates: probe.history.duplicates } };
  },
};

export const chaosScenarios: Scenario[] = [slowConsumer, heartbeatSilence, tokenExpiry, upgradeRequired];
