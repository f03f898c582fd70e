import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './assertions.js';
import type { HarnessSummary, Injection, Kpi } from './scenario.js';

/**
 * Rollout KPI gates (KHALA_PROTOCOL §10 "Rollout KPI gates"), evaluated from one harness run.
 * The thresholds tighten with the share of traffic on the new SDK; docs/harness.md explains how
 * each is derived from the §10 alert thresholds.
 */
export interface StageThresholds {
  /** `canary`, `stage-1` … `stage-4`. */
  stage: string;
  /** Share of traffic, %. */
  traffic: number;
  /** stale_cursor recoveries per resume, where nothing made the cursor stale on purpose. */
  maxStaleCursorRate: number;
  /** p95 time from connect to caught up for a full replay, ms. */
  maxReplayLatencyP95Ms: number;
  /** p95 time from stale_cursor to live after the snapshot bootstrap, ms. */
  maxBootstrapLatencyP95Ms: number;
  /** Largest share of the storm fleet reconnecting within one 100 ms bucket. */
  maxStormPeakFraction: number;
  /** Server restart to every storm client live again, ms. */
  maxStormTimeToAllLiveMs: number;
  /** Connection attempts one storm client may need. */
  maxStormAttemptsPerClient: number;
  /** slow_consumer evictions per connection, where no scenario provoked them. */
  maxEvictionRate: number;
  /** Refused upgrades / auth errors per connection, where no scenario provoked them (§10: 3 %). */
  maxAuthFailureRate: number;
}

/** The five stages: canary (1 %), 5 %, 25 %, 50 %, 100 %. */
export const STAGES: readonly StageThresholds[] = Object.freeze([
  { stage: 'canary', traffic: 1, maxStaleCursorRate: 0.02, maxReplayLatencyP95Ms: 10_000, maxBootstrapLatencyP95Ms: 10_000, maxStormPeakFraction: 0.8, maxStormTimeToAllLiveMs: 20_000, maxStormAttemptsPerClient: 8, maxEvictionRate: 0.01, maxAuthFailureRate: 0.03 },
  { stage: 'stage-1', traffic: 5, maxStaleCursorRate: 0.01, maxReplayLatencyP95Ms: 8_000, maxBootstrapLatencyP95Ms: 8_000, maxStormPeakFraction: 0.75, maxStormTimeToAllLiveMs: 15_000, maxStormAttemptsPerClient: 6, maxEvictionRate: 0.005, maxAuthFailureRate: 0.03 },
  { stage: 'stage-2', traffic: 25, maxStaleCursorRate: 0.005, maxReplayLatencyP95Ms: 5_000, maxBootstrapLatencyP95Ms: 5_000, maxStormPeakFraction: 0.7, maxStormTimeToAllLiveMs: 12_000, maxStormAttemptsPerClient: 5, maxEvictionRate: 0.002, maxAuthFailureRate: 0.02 },
  { stage: 'stage-3', traffic: 50, maxStaleCursorRate: 0.002, maxReplayLatencyP95Ms: 4_000, maxBootstrapLatencyP95Ms: 4_000, maxStormPeakFraction: 0.65, maxStormTimeToAllLiveMs: 10_000, maxStormAttemptsPerClient: 5, maxEvictionRate: 0.001, maxAuthFailureRate: 0.01 },
  { stage: 'stage-4', traffic: 100, maxStaleCursorRate: 0, maxReplayLatencyP95Ms: 3_000, maxBootstrapLatencyP95Ms: 3_000, maxStormPeakFraction: 0.6, maxStormTimeToAllLiveMs: 10_000, maxStormAttemptsPerClient: 4, maxEvictionRate: 0, maxAuthFailureRate: 0.005 },
]);

const ALIASES: Record<string, string> = { 'stage-0': 'canary', '1': 'canary', '5': 'stage-1', '25': 'stage-2', '50': 'stage-3', '100': 'stage-4' };

/** Look a stage up by name (`canary`, `stage-0`…`stage-4`) or traffic share (`5`, `25%`). */
export function findStage(name: string, stages: readonly StageThresholds[] = STAGES): StageThresholds | undefined {
  const key = name.trim().toLowerCase().replace(/%$/, '');
  const canonical = ALIASES[key] ?? key;
  return stages.find((s) => s.stage === canonical);
}

/** One checked KPI. */
export interface GateCheck {
  /** Stable id of the gate (`stale_cursor_rate`, …); the stage report keys remediation on it. */
  id: string;
  kpi: string;
  /** `null` when the run did not measure it (a no-go). */
  value: number | null;
  limit: number;
  ok: boolean;
  note: string;
  /** Scenarios whose KPIs fed this check (empty for run-wide checks). */
  scenarios: string[];
}

/** The verdict of one stage. */
export interface GateVerdict {
  stage: string;
  traffic: number;
  go: boolean;
  evaluated_at: string;
  checks: GateCheck[];
}

interface Row {
  name: string;
  kpi: Kpi;
  injects: readonly Injection[];
}

function rows(summary: HarnessSummary): Row[] {
  return summary.scenarios
    .filter((s) => s.status !== 'skip')
    .map((s) => ({ name: s.name, kpi: (s.evidence['kpi'] ?? {}) as Kpi, injects: (s.evidence['injects'] ?? []) as Injection[] }));
}

function sum(list: Row[], pick: (k: Kpi) => number | undefined): number {
  return list.reduce((n, r) => n + (pick(r.kpi) ?? 0), 0);
}

function without(list: Row[], ...tags: Injection[]): Row[] {
  return list.filter((r) => !tags.some((t) => r.injects.includes(t)));
}

/** Evaluate one stage's gates against a run's summary (KPIs come from each scenario's `evidence.kpi`). */
export function evaluateGate(summary: HarnessSummary, stage: StageThresholds, now = new Date()): GateVerdict {
  const all = rows(summary);
  const checks: GateCheck[] = [];
  const check = (id: string, kpi: string, value: number | null, limit: number, note: string, from: Row[]): void => {
    checks.push({ id, kpi, value, limit, ok: value !== null && value <= limit, note: value === null ? `not measured in this run (${note})` : note, scenarios: from.map((r) => r.name) });
  };
  const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
  check('scenario_failures', 'scenario failures', summary.failures, 0, 'every scenario must hold', all);
  const inContract = without(all, 'out_of_contract');
  check('duplicates', 'duplicated updates applied', sum(inContract, (k) => k.duplicates), 0, 'no duplicated messages (§10)', inContract);
  check('out_of_order', 'jumbled (out-of-order) updates applied', sum(inContract, (k) => k.outOfOrder), 0, 'no jumbled messages (§10)', inContract);
  const unforcedStale = without(all, 'stale', 'out_of_contract');
  check('stale_cursor_rate', 'stale_cursor rate (per resume)', ratio(sum(unforcedStale, (k) => k.staleCursors), sum(unforcedStale, (k) => k.resumes)), stage.maxStaleCursorRate, 'resumes within retention must not go stale', unforcedStale.filter((r) => r.kpi.resumes));
  const replayRows = without(all, 'storm', 'snapshot_errors', 'slow_consumer', 'out_of_contract').filter((r) => r.kpi.replayLatencyMs?.length);
  const replay = replayRows.flatMap((r) => r.kpi.replayLatencyMs ?? []);
  check('replay_latency_p95', 'replay latency p95 (ms)', replay.length ? percentile(replay, 95) : null, stage.maxReplayLatencyP95Ms, `${replay.length} replay(s)`, replayRows);
  const bootRows = without(all, 'snapshot_errors').filter((r) => r.kpi.bootstrapLatencyMs?.length);
  const boot = bootRows.flatMap((r) => r.kpi.bootstrapLatencyMs ?? []);
  check('bootstrap_latency_p95', 'stale → snapshot → live latency p95 (ms)', boot.length ? percentile(boot, 95) : null, stage.maxBootstrapLatencyP95Ms, `${boot.length} bootstrap(s)`, bootRows);
  const stormRows = all.filter((r) => r.kpi.storm !== undefined).slice(0, 1);
  const storm = stormRows[0]?.kpi.storm;
  check('storm_peak_fraction', 'reconnect storm: peak share of fleet per 100 ms', storm ? storm.peakFraction : null, stage.maxStormPeakFraction, storm ? `${storm.peakPer100ms}/${storm.clients} clients, ${storm.peakRatePerSec}/s` : 'reconnect-storm scenario', stormRows);
  check('storm_time_to_all_live', 'reconnect storm: restart → all live (ms)', storm ? storm.timeToAllLiveMs : null, stage.maxStormTimeToAllLiveMs, 'reconnect-storm scenario', stormRows);
  check('storm_attempts_per_client', 'reconnect storm: attempts per client (max)', storm ? storm.maxAttempts : null, stage.maxStormAttemptsPerClient, 'reconnect-storm scenario', stormRows);
  const unforcedSlow = without(all, 'slow_consumer').filter((r) => r.kpi.connections);
  check('eviction_rate', 'slow_consumer_evicted rate (per connection)', ratio(sum(unforcedSlow, (k) => k.evictions), sum(unforcedSlow, (k) => k.connections)), stage.maxEvictionRate, 'no eviction unless provoked', unforcedSlow);
  const unforcedAuth = without(all, 'auth', 'upgrade').filter((r) => r.kpi.connections);
  check('auth_failure_rate', 'auth failure rate (per connection)', ratio(sum(unforcedAuth, (k) => k.authFailures), sum(unforcedAuth, (k) => k.connections)), stage.maxAuthFailureRate, '§10 alert: 3 %', unforcedAuth);
  return { stage: stage.stage, traffic: stage.traffic, go: checks.every((c) => c.ok), evaluated_at: now.toISOString(), checks };
}

function fmt(v: number | null): string {
  if (v === null) return 'n/a';
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** Human-readable verdict, ending with the explicit GO / NO-GO line and its timestamp. */
export function renderGate(v: GateVerdict): string {
  const lines = [`Rollout gate ${v.stage} (${v.traffic}% of traffic)`];
  for (const c of v.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.kpi.padEnd(48)} ${fmt(c.value).padStart(10)} (limit ${fmt(c.limit)}) ${c.note}`);
  lines.push(`${v.go ? 'GO' : 'NO-GO'}: stage ${v.stage} (${v.traffic}%) at ${v.evaluated_at}`);
  return `${lines.join('\n')}\n`;
}

/** Write gate.json and GATE.md next to the report. */
export function writeGate(dir: string, v: GateVerdict): void {
  writeFileSync(join(dir, 'gate.json'), `${JSON.stringify(v, null, 2)}\n`);
  writeFileSync(join(dir, 'GATE.md'), `\`\`\`\n${renderGate(v)}\`\`\`\n`);
}
