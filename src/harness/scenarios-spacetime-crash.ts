import { expect } from './assertions.js';
import { sigkillSteps, staleCrashSteps } from './crash-steps.js';
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
    const result = await sigkillSteps(ctx, env, {
      backlog: () => {
        // Every row is its own document: a skipped event shows in the stored state.
        env.publish(ST_WORKER, ctx.quick ? 600 : 3000, { perTx: 5 });
        env.publish(ST_RUN, ctx.quick ? 400 : 2000, { perTx: 2 });
      },
      live: () => void env.publish(env.rnd.chance(0.5) ? ST_WORKER : ST_RUN, env.rnd.int(1, 5), { perTx: 3 }),
      snapshotWhenEmbedded: true,
    });
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
    const { evidence, final, truth } = await staleCrashSteps(ctx, env, {
      topic: ST_WORKER,
      prime: () => void env.publish(ST_WORKER, 100, { perTx: 4 }),
      advance: () => void env.publish(ST_WORKER, 300, { perTx: 4 }),
    });
    expect(final.watermarks[ST_WORKER] === truth.head, `the restarted run ended at ${String(final.watermarks[ST_WORKER])}, the journal head is ${truth.head}`, evidence);
    expect(final.violations.length === 0, `after the restart: ${final.violations.join('; ')}`, evidence);
    return { evidence, kpi: { staleCursors: 1 } };
  },
};

export const spacetimeCrashScenarios: Scenario[] = [crashSafety, crashDuringStaleRecovery];
