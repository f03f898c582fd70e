import { expect } from './assertions.js';
import { replayFromZeroSteps, resumeFromCheckpointSteps } from './replay-steps.js';
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
    const { evidence, kpi, probes } = await replayFromZeroSteps(ctx, env, {
      backlog: (n) => {
        env.publish(ST_WORKER, n, { perTx: 5 });
        env.publish(ST_RUN, Math.floor(n / 3), { perTx: 3 });
        env.publish(ST_NOTES, Math.floor(n / 5));
      },
      live: (i) => env.publish(env.topics[i % env.topics.length]!, env.rnd.int(1, 4), { perTx: 4 }).length,
    });
    return { evidence: { ...evidence, errors: [...probes.sqlite.errorCodes(), ...probes.memory.errorCodes()] }, kpi };
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
    const { evidence, kpi, probes } = await resumeFromCheckpointSteps(ctx, env, {
      backlog: () => {
        env.publish(ST_WORKER, ctx.quick ? 200 : 800, { perTx: 4 });
        env.publish(ST_RUN, ctx.quick ? 50 : 300);
      },
      away: () => env.publish(ST_WORKER, ctx.quick ? 120 : 500, { perTx: 4 }).length + env.publish(ST_RUN, 40).length,
    });
    // The lane detects gaps itself (in the resume reply): a resume within retention must not trip it.
    const stale = kpi.staleCursors ?? 0;
    if (env.mode === 'embedded') expect(stale === 0, `a resume within retention went stale ${stale} time(s): ${JSON.stringify(probes.second.log.stale)}`);
    return { evidence: { ...evidence, stale }, kpi };
  },
};

export const spacetimeReplayScenarios: Scenario[] = [replayFromZero, resumeFromCheckpoint];
