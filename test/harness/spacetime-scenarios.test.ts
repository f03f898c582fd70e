import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../src/harness/registry.js';
import { runHarness, scenarioLane, selectScenarios } from '../../src/harness/runner.js';

// The Spacetime scenarios outside the quick subset that are cheap enough for CI (~3 s together);
// the quick ones run in quick-run.test.ts, the SIGKILL loop and the multi-client fleet in the full harness.
let out: string;
beforeAll(() => void (out = mkdtempSync(join(tmpdir(), 'khala-harness-st-'))));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('Spacetime scenarios in the matrix', () => {
  it('are named spacetime-*, family spacetime, lane spacetime; two or three are quick', () => {
    const st = SCENARIOS.filter((s) => scenarioLane(s) === 'spacetime');
    expect(st.map((s) => s.name)).toEqual([
      'spacetime-replay-from-zero',
      'spacetime-resume-from-checkpoint',
      'spacetime-resume-every-frame-boundary',
      'spacetime-gap-stale-snapshot',
      'spacetime-replay-budget',
      'spacetime-loss-and-reorder-healed',
      'spacetime-multi-client-convergence',
      'spacetime-crash-safety-sigkill',
      'spacetime-crash-during-stale-recovery',
      'spacetime-token-refresh-under-load',
    ]);
    expect(st.every((s) => s.family === 'spacetime' && s.name.startsWith('spacetime-'))).toBe(true);
    expect(SCENARIOS.filter((s) => s.name.startsWith('spacetime-')).every((s) => s.lane === 'spacetime')).toBe(true);
    expect(selectScenarios(undefined, true, 'spacetime').map((s) => s.name)).toEqual(['spacetime-replay-from-zero', 'spacetime-resume-from-checkpoint', 'spacetime-gap-stale-snapshot']);
    expect(selectScenarios(undefined, false, 'khala').some((s) => scenarioLane(s) === 'spacetime')).toBe(false);
    expect(selectScenarios(undefined, false, 'khala').length + st.length).toBe(SCENARIOS.length);
  });

  it('against a deployment of the other lane a scenario is skipped with the reason, before any connection', async () => {
    const target = { kind: 'deployment' as const, url: 'ws://127.0.0.1:9/sync/socket/websocket', token: 't', snapshotUrl: undefined, topics: ['t'], allowInsecure: false, lane: 'khala' as const };
    const { summary } = await runHarness({ scenarios: ['spacetime-replay-from-zero'], target, seed: 1, out });
    expect(summary.scenarios[0]).toMatchObject({ status: 'skip', evidence: { reason: 'speaks the spacetime lane; the deployment is --lane khala' } });
    expect(summary.failures).toBe(0);
  });

  it('spacetime-replay-budget, spacetime-resume-every-frame-boundary and spacetime-loss-and-reorder-healed hold, with their evidence', async () => {
    const { summary } = await runHarness({ scenarios: ['spacetime-replay-budget', 'spacetime-resume-every-frame-boundary', 'spacetime-loss-and-reorder-healed'], seed: 77, out, quick: true });
    const by = Object.fromEntries(summary.scenarios.map((s) => [s.name, s]));
    expect(summary.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.failure ?? s.status}`)).toEqual([]);
    const budget = by['spacetime-replay-budget']!.evidence;
    expect(budget['stale']).toEqual(['runtime.codex.worker.worker_1:replay_budget_exceeded']);
    expect(budget['resumed_within_budget']).toBe(45);
    const boundary = by['spacetime-resume-every-frame-boundary']!.evidence;
    // IdentityToken, two SubscribeMultiApplied, the two head-probe answers that follow them (where they
    // fall among the live updates depends on timing), four live TransactionUpdates; plus the two SubscribeMulti requests.
    expect((boundary['frame_tags'] as string[])[0]).toBe('IdentityToken');
    expect([...(boundary['frame_tags'] as string[])].sort()).toEqual(['IdentityToken', 'OneOffQueryResponse', 'OneOffQueryResponse', 'SubscribeMultiApplied', 'SubscribeMultiApplied', 'TransactionUpdate', 'TransactionUpdate', 'TransactionUpdate', 'TransactionUpdate']);
    expect(boundary['boundaries']).toBe(11);
    expect(boundary['cuts']).toBe(11);
    expect(boundary['duplicates']).toBe(0);
    const healed = by['spacetime-loss-and-reorder-healed']!.evidence as { faults: Record<string, { dropped: number; reordered: number; duplicated: number }>; per_client: Record<string, { bootstraps: number }>; kpi: { duplicates: number; outOfOrder: number } };
    // Every kind of fault happened, the lossy and reordered clients healed through snapshots, nothing applied twice.
    expect(healed.faults['dropping']!.dropped).toBeGreaterThan(0);
    expect(healed.faults['reversing']!.reordered).toBeGreaterThan(0);
    expect(healed.faults['duplicating']!.duplicated).toBeGreaterThan(0);
    expect(healed.per_client['dropping']!.bootstraps).toBeGreaterThan(0);
    expect(healed.per_client['reversing']!.bootstraps).toBeGreaterThan(0);
    expect(healed.kpi).toMatchObject({ duplicates: 0, outOfOrder: 0 });
  }, 60_000);

  it('spacetime-token-refresh-under-load crosses ≥ 5 make-before-break refreshes: exactly-once, always live, no reconnect', async () => {
    const { summary } = await runHarness({ scenarios: ['spacetime-token-refresh-under-load'], seed: 12, out, quick: true });
    const s = summary.scenarios[0]!;
    expect(`${s.status} ${s.failure ?? ''}`.trim()).toBe('pass');
    const e = s.evidence as { refreshes: number; statuses_after_live: string[]; reconnects: number; published_during: number; kpi: { duplicates: number; outOfOrder: number } };
    expect(e.refreshes).toBeGreaterThanOrEqual(5);
    expect(e.statuses_after_live).toEqual([]);
    expect(e.reconnects).toBe(0);
    expect(e.published_during).toBeGreaterThan(0);
    expect(e.kpi).toMatchObject({ duplicates: 0, outOfOrder: 0 });
  }, 60_000);
});
