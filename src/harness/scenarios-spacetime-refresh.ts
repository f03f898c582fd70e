import type { LaneNotice } from '../adapters/lane.js';
import { converge, expect, waitFor } from './assertions.js';
import { fleetKpi } from './fleet.js';
import { sleep } from './probe.js';
import type { Scenario } from './scenario.js';
import { openSpacetimeEnv, ST_RUN, ST_WORKER } from './spacetime-env.js';

/** Refreshes a session must cross (issue #12: "≥ 5 token refreshes under load"). */
const REFRESHES = 5;

/**
 * A long session on short tokens: the embedded server's token endpoint answers
 * `refresh_after_in` 0.5 s, so the client replaces its socket make-before-break every ~1 s (two
 * refreshes start at least MIN_REFRESH_INTERVAL_MS apart) while two streams take multi-row
 * commits. Exactly-once and order are judged by the probe's history over every socket; "always
 * live" by its statuses (nothing but `live` after the first live).
 */
const tokenRefreshUnderLoad: Scenario = {
  name: 'spacetime-token-refresh-under-load',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: `Spacetime lane: a session crosses ≥ ${REFRESHES} make-before-break token refreshes while commits flow: every event applied once and in order, the status never leaves live (no replaying, no backoff), no reconnect, the old socket closed after each switch`,
  control: false,
  quick: false,
  injects: ['auth'],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN], server: { tokenTtlSeconds: 5, tokenRefreshAfterSeconds: 0.5 } });
    env.publish(ST_WORKER, 200, { perTx: 5 });
    env.publish(ST_RUN, 50);
    const probe = env.probe({ label: 'refreshing', sqlitePath: env.path('refreshing.sqlite') });
    const notices: LaneNotice[] = [];
    probe.client.on('notice', (n) => notices.push(n));
    await probe.start();
    await converge(ctx, env, probe, 'the replay');
    const liveAt = probe.log.statuses.length;
    const switched = (): Array<Extract<LaneNotice, { type: 'token_refresh' }>> =>
      notices.filter((n): n is Extract<LaneNotice, { type: 'token_refresh' }> => n.type === 'token_refresh' && n.outcome === 'switched');
    let published = 0;
    const started = Date.now();
    while (switched().length < REFRESHES && Date.now() - started < 30_000) {
      published += env.publish(env.rnd.chance(0.7) ? ST_WORKER : ST_RUN, env.rnd.int(1, 4), { perTx: 4 }).length;
      await sleep(env.rnd.int(5, 20));
    }
    for (const t of env.topics) published += env.publish(t, 1).length;
    await converge(ctx, env, probe, 'after the refreshes');
    const overlaps = switched().map((n) => n.overlapMs);
    const metrics = probe.client.getMetrics();
    const after = probe.log.statuses.slice(liveAt).map((s) => s.status);
    const evidence = {
      refreshes: overlaps.length,
      overlap_ms: { max: Math.max(0, ...overlaps), list: overlaps },
      published_during: published,
      duplicates_dropped: metrics.duplicatesDropped,
      reconnects: metrics.reconnects,
      refresh_failures: metrics.tokenRefreshFailures,
      statuses_after_live: after,
      connections: env.server.stats().connections,
      errors: probe.errorCodes().slice(0, 10),
    };
    expect(overlaps.length >= REFRESHES, `fewer than ${REFRESHES} token refreshes in 30 s`, evidence);
    expect(after.length === 0, 'the status left live during a refresh', evidence);
    expect(metrics.reconnects === 0, 'a refresh fell back to a reconnect', evidence);
    await waitFor(ctx, () => env.server.stats().openConnections === 1, 'old sockets closed', 5_000, () => evidence);
    return { evidence, kpi: fleetKpi([probe], { connections: probe.attempts }) };
  },
};

export const spacetimeRefreshScenarios: Scenario[] = [tokenRefreshUnderLoad];
