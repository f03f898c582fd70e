import { expect, loadSqlite } from './assertions.js';
import { checkInvariant, storeObserved } from './invariant.js';
import type { TruthView } from './lane-env.js';
import { AppliedHistory, type Probe } from './probe.js';
import type { Kpi } from './scenario.js';

// Checks shared by the stale-cursor scenarios of both lanes: a recovery (stale → snapshot → live)
// is judged the same way whether the server said stale (Khala) or the lane saw a gap (Spacetime).

/** Stale → live again after the snapshot, per bootstrap, ms. */
export function bootstrapLatencies(probe: Probe): number[] {
  const out: number[] = [];
  for (const s of probe.log.stale) {
    const boot = probe.log.bootstraps.find((b) => b.topic === s.topic && b.at >= s.at);
    const live = boot && probe.log.caughtUp.find((c) => c.topic === s.topic && c.at >= boot.at);
    if (live) out.push(live.at - s.at);
  }
  return out;
}

/** The SQLite file at `dbPath` holds exactly the current truth (after a recovery, nothing older survives). */
export async function storeMatches(env: TruthView, dbPath: string): Promise<void> {
  const report = checkInvariant(await env.truths(), storeObserved(await loadSqlite(dbPath)), new AppliedHistory(), { exact: true, noSkipCheck: env.topics });
  expect(report.violations.length === 0, `stored state: ${report.violations.join('; ')}`, { stored: report.topics });
}

/**
 * The KPIs of one recovering client: its stale reports, duplicates, order and connections; with
 * `resumes` the topics that resumed from a stored cursor, with `latency` the bootstrap latencies.
 */
export function recoveryKpi(probe: Probe, history: AppliedHistory, options: { resumes?: number; latency?: boolean } = {}): Kpi {
  return {
    staleCursors: probe.log.stale.length,
    ...(options.resumes === undefined ? {} : { resumes: options.resumes }),
    ...(options.latency ? { bootstrapLatencyMs: bootstrapLatencies(probe) } : {}),
    duplicates: history.duplicates,
    outOfOrder: history.outOfOrder,
    connections: probe.attempts,
  };
}
