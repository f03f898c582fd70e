import { createSqliteStore } from '../sqlite.js';
import type { StoreContents } from '../watermarks/store.js';
import type { TruthView } from './lane-env.js';
import { checkInvariant, type CheckOptions, type InvariantReport, type TopicTruth } from './invariant.js';
import { observe, until, type Probe } from './probe.js';
import { ScenarioFailure, type Evidence, type ScenarioContext } from './scenario.js';

/** Fail the scenario with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string, evidence: Evidence = {}): asserts condition {
  if (!condition) throw new ScenarioFailure(message, evidence);
}

/** Wait for `ok`, turning a timeout into a scenario failure with evidence. */
export async function waitFor(ctx: ScenarioContext, ok: () => boolean, what: string, timeoutMs: number, evidence: () => Evidence = () => ({})): Promise<void> {
  try {
    await until(ok, what, timeoutMs, ctx.signal);
  } catch (err) {
    throw new ScenarioFailure(err instanceof Error ? err.message : String(err), evidence());
  }
}

/** A probe has reached every truth head (or beyond, in deployment mode) and is live. */
export function reached(probe: Probe, truths: TopicTruth[]): boolean {
  return probe.client.status === 'live' && truths.every((t) => (probe.client.getWatermark(t.topic) ?? -1) >= t.head);
}

/**
 * Wait until the probe is live at the truth heads, then check the invariant (documents, watermarks,
 * exactly-once, nothing skipped). Throws a ScenarioFailure listing every violation.
 */
export async function converge(
  ctx: ScenarioContext,
  env: TruthView,
  probe: Probe,
  label: string,
  options: Partial<CheckOptions> & { truths?: TopicTruth[]; timeoutMs?: number } = {},
): Promise<InvariantReport> {
  // Embedded: the truth is re-read while waiting, so events published meanwhile are expected too.
  const fixed = options.truths ?? (env.mode === 'embedded' ? undefined : await env.truths());
  const current = (): TopicTruth[] => fixed ?? env.ledgerTruths() ?? [];
  let truths = current();
  const evidence = (): Evidence => ({ client: label, status: probe.client.status, watermarks: Object.fromEntries(truths.map((t) => [t.topic, { have: probe.client.getWatermark(t.topic) ?? null, head: t.head }])), errors: probe.errorCodes().slice(-10) });
  await waitFor(ctx, () => reached(probe, (truths = current())), `${label} to converge`, options.timeoutMs ?? 30_000, evidence);
  // Let in-flight duplicates (the second copy of the last batch, a proxy's duplicate) arrive.
  await new Promise((r) => setTimeout(r, 30));
  truths = current();
  const report = checkInvariant(truths, observe(probe), probe.history, { exact: env.exact, ...options });
  if (report.violations.length > 0) throw new ScenarioFailure(`${label}: ${report.violations.join('; ')}`, { ...evidence(), invariant: report });
  return report;
}

/** Percentile of a list (nearest rank); 0 for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Time from a probe's creation to its last topic's first caught-up, ms. */
export function replayLatency(probe: Probe, topics: string[]): number | undefined {
  const times = topics.map((t) => probe.log.caughtUp.find((c) => c.topic === t)?.at);
  if (times.some((x) => x === undefined)) return undefined;
  return Math.max(...(times as number[])) - probe.createdAt;
}

/** Open a SQLite store file, load everything, close it. */
export async function loadSqlite(path: string): Promise<StoreContents> {
  const store = createSqliteStore({ path });
  try {
    return await store.load();
  } finally {
    await store.close();
  }
}
