import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../errors/redact.js';
import { deriveSeed } from '../testing/seeded-random.js';
import { sdkVersion } from '../util/sdk-version.js';
import type { KpiTimeline } from './kpi-chart.js';
import { KpiTimelineRecorder, setCurrentTimeline } from './kpi-timeline.js';
import { SCENARIOS, SUITES } from './registry.js';
import { timestampDir, writeReport } from './report.js';
import { ScenarioFailure, type HarnessLane, type HarnessSummary, type HarnessTarget, type Scenario, type ScenarioContext, type ScenarioReport } from './scenario.js';

/** Options of {@link runHarness}. */
export interface RunOptions {
  /** Scenario names to run. Default: all (or the quick subset with `quick`). */
  scenarios?: string[];
  /** Smaller sizes and the quick subset (CI). Default false. */
  quick?: boolean;
  /** Run seed. Default: a random 32-bit value (recorded in every scenario's evidence). */
  seed?: number;
  /** Default: the embedded reference server. */
  target?: HarnessTarget;
  /** Only this lane's scenarios (when `scenarios` is not given). Default: both. */
  lane?: HarnessLane;
  /** A suite other than the default matrix (`migration`). Default: the matrix. */
  suite?: string;
  /** Report directory. Default `./harness-report/<UTC timestamp>/`. */
  out?: string;
  /** One line per scenario as it finishes (the CLI writes them to stderr). Default none. */
  progress?: (line: string) => void;
  /** Scenario diagnostic lines. Default none. */
  note?: (line: string) => void;
  /** Per-scenario time limit, ms. Default: the scenario's own (120 000 unless it says otherwise). */
  timeoutMs?: number;
}

/** What {@link runHarness} hands back. */
export interface RunResult {
  summary: HarnessSummary;
  /** Reconnects, replay latency and lag of every client over the run (the stage report's chart). */
  timeline: KpiTimeline;
  outDir: string;
  files: { json: string; markdown: string };
  seed: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));


/** The wire protocol a scenario speaks. */
export function scenarioLane(scenario: Scenario): HarnessLane {
  return scenario.lane ?? 'khala';
}

/**
 * Resolve the scenario list; throws a RangeError naming unknown scenarios. `lane` keeps only that
 * lane's scenarios when no names are given.
 */
export function selectScenarios(names: string[] | undefined, quick: boolean, lane?: HarnessLane, suite?: string): Scenario[] {
  const pool = suite === undefined ? SCENARIOS : SUITES[suite];
  if (pool === undefined) throw new RangeError(`unknown suite '${suite}' (known: ${Object.keys(SUITES).join(', ')})`);
  if (!names || names.length === 0) return pool.filter((s) => (!quick || s.quick) && (lane === undefined || scenarioLane(s) === lane));
  const unknown = names.filter((n) => !pool.some((s) => s.name === n));
  if (unknown.length > 0) throw new RangeError(`unknown scenario(s): ${unknown.join(', ')} (known: ${pool.map((s) => s.name).join(', ')})`);
  return pool.filter((s) => names.includes(s.name));
}

function targetLabel(target: HarnessTarget): string {
  return target.kind === 'embedded' ? 'embedded reference servers (khala-sync/server: Khala and Spacetime, 127.0.0.1)' : redact(target.url);
}

async function runOne(scenario: Scenario, base: Omit<ScenarioContext, 'seed' | 'tmpDir' | 'signal' | 'defer' | 'collect'>, timeoutMs: number): Promise<ScenarioReport> {
  const seed = deriveSeed(base.runSeed, scenario.name);
  const replay = `khala-sync harness ${scenario.family === 'migration' ? '--suite migration ' : ''}--scenario ${scenario.name} --seed ${base.runSeed}${base.quick ? ' --quick' : ''}`;
  const common = { seed, run_seed: base.runSeed, injects: scenario.injects, replay };
  const started = Date.now();
  if (base.target.kind === 'deployment' && scenario.control) {
    return { name: scenario.name, status: 'skip', duration_ms: 0, evidence: { reason: 'needs server control (publish, prune, faults, restart): not available against a deployment', ...common } };
  }
  if (base.target.kind === 'deployment' && scenarioLane(scenario) !== base.target.lane) {
    return { name: scenario.name, status: 'skip', duration_ms: 0, evidence: { reason: `speaks the ${scenarioLane(scenario)} lane; the deployment is --lane ${base.target.lane}`, ...common } };
  }
  const tmpDir = mkdtempSync(join(tmpdir(), `khala-harness-${scenario.name}-`));
  const cleanups: Array<() => unknown> = [];
  const collectors = new Map<string, () => unknown>();
  const abort = new AbortController();
  const ctx: ScenarioContext = { ...base, seed, tmpDir, signal: abort.signal, defer: (fn) => void cleanups.push(fn), collect: (key, fn) => void collectors.set(key, fn) };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new ScenarioFailure(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  let report: ScenarioReport;
  try {
    const running = scenario.run(ctx);
    // A scenario that timed out may still reject later; that must not become an unhandled rejection.
    running.catch(() => undefined);
    const result = await Promise.race([running, timeout]);
    report = { name: scenario.name, status: 'pass', duration_ms: Date.now() - started, evidence: { ...result.evidence, kpi: result.kpi ?? {}, ...common } };
  } catch (err) {
    const failure = err instanceof ScenarioFailure ? err : undefined;
    const message = err instanceof Error ? err.message : String(err);
    report = {
      name: scenario.name,
      status: 'fail',
      duration_ms: Date.now() - started,
      evidence: { ...(failure?.evidence ?? {}), kpi: failure?.kpi ?? {}, ...common },
      failure: redact(message),
    };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  if (collectors.size > 0) {
    const collected: Record<string, unknown> = {};
    for (const [key, fn] of collectors) {
      try {
        collected[key] = fn();
      } catch (err) {
        collected[key] = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    report.evidence['fault_log'] = collected;
  }
  for (const fn of cleanups.reverse()) {
    let guard: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([fn(), new Promise((r) => (guard = setTimeout(r, 10_000)))]);
    } catch {
      /* teardown problems do not change the verdict */
    } finally {
      clearTimeout(guard);
    }
  }
  rmSync(tmpDir, { recursive: true, force: true });
  return report;
}

/**
 * Run the scenario matrix (sequentially: the storm and timing assertions need the machine to
 * themselves) and write summary.json and SUMMARY.md (SDK_CONTRACTS §4).
 */
export async function runHarness(options: RunOptions = {}): Promise<RunResult> {
  const quick = options.quick ?? false;
  const runSeed = (options.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  const target = options.target ?? { kind: 'embedded' };
  const scenarios = selectScenarios(options.scenarios, quick, options.lane, options.suite);
  const started = new Date();
  const outDir = resolve(options.out ?? join('harness-report', timestampDir(started)));
  const bin = join(ROOT, 'bin', 'khala-sync.js');
  const reports: ScenarioReport[] = [];
  const recorder = new KpiTimelineRecorder().start();
  setCurrentTimeline(recorder);
  for (const [i, scenario] of scenarios.entries()) {
    recorder.scenario(scenario.name);
    const report = await runOne(scenario, { runSeed, quick, target, bin, note: options.note ?? (() => undefined) }, options.timeoutMs ?? scenario.timeoutMs ?? 120_000);
    reports.push(report);
    const tail = report.status === 'fail' ? ` — ${report.failure ?? ''} (replay: ${String(report.evidence['replay'])})` : report.status === 'skip' ? ` — ${String(report.evidence['reason'])}` : '';
    options.progress?.(`[harness] ${String(i + 1).padStart(2)}/${scenarios.length} ${report.status.toUpperCase().padEnd(4)} ${scenario.name.padEnd(38)} ${(report.duration_ms / 1000).toFixed(2).padStart(7)} s${tail}`);
  }
  setCurrentTimeline(undefined);
  const timeline = recorder.stop();
  const summary: HarnessSummary = {
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    target: targetLabel(target),
    sdk_version: sdkVersion(),
    scenarios: reports,
    failures: reports.filter((r) => r.status === 'fail').length,
  };
  const files = writeReport(outDir, summary);
  return { summary, timeline, outDir, files, seed: runSeed };
}
