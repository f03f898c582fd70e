import { expect } from './assertions.js';
import { sigkillSteps, staleCrashSteps } from './crash-steps.js';
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
    return sigkillSteps(ctx, env, {
      backlog: () => {
        env.publish(RUNS, ctx.quick ? 600 : 3000, { docs: 80 });
        // One document per event: skipping any event would show in the stored state.
        env.publish(EVENTS, ctx.quick ? 400 : 2000, { docs: 1e9, prefix: 'event' });
      },
      live: () => void env.publish(env.rnd.chance(0.5) ? RUNS : EVENTS, env.rnd.int(1, 5), { docs: 80 }),
      snapshotWhenEmbedded: false,
    });
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
    const { evidence, final, truth, stored } = await staleCrashSteps(ctx, env, {
      topic: RUNS,
      prime: () => void env.publish(RUNS, 100, { docs: 30 }),
      advance: () => void env.publish(RUNS, 300, { docs: 40 }),
    });
    const have = new Map(stored.documents.map((d) => [d.docKey, d.docVersion]));
    const wrong = [...truth.docs].filter(([k, d]) => have.get(k) !== d.docVersion).length;
    evidence.documents.differing = wrong;
    expect(final.violations.length === 0, `after the restart the store is live at ${String(final.watermarks[RUNS])} but ${wrong} of ${truth.docs.size} documents differ from the journal (${final.violations.join('; ')}): the cleared cursor made the restart replay from the oldest retained event without a snapshot`, evidence);
    return { evidence, kpi: { staleCursors: 1 } };
  },
};

export const crashScenarios: Scenario[] = [crashSafety, crashDuringStaleRecovery];
