
/** Status of one scenario (SDK_CONTRACTS §4). */
export type ScenarioStatus = 'pass' | 'fail' | 'skip';

/** Free-form, JSON-serialisable evidence: counts, timings, seeds, fault logs. */
export type Evidence = Record<string, unknown>;

/** What a scenario deliberately provokes; the gates leave these out of the matching KPI. */
export type Injection = 'stale' | 'slow_consumer' | 'auth' | 'snapshot_errors' | 'upgrade' | 'out_of_contract' | 'restart' | 'storm';

/** Wire protocol a scenario speaks (and a deployment serves). */
export type HarnessLane = 'khala' | 'spacetime';

/** Where the harness runs. */
export type HarnessTarget =
  | { kind: 'embedded' }
  | {
      kind: 'deployment';
      /** Socket URL or base URL of the deployment. */
      url: string;
      /** A fixed token, or the mint endpoint's URL (`--token-url`). */
      token: string | { url: string };
      /** Snapshot base URL (SDK_CONTRACTS §1), if the deployment serves one. */
      snapshotUrl: string | undefined;
      topics: string[];
      /** Allow ws:// (and http:// for the token and snapshot URLs) to a non-loopback host. */
      allowInsecure: boolean;
      /** The deployment's wire protocol: only that lane's scenarios run (`--lane`, default khala). */
      lane: HarnessLane;
    };

/** Storm measurements (reconnect-storm scenario). */
export interface StormKpi {
  clients: number;
  /** Most new connections in one 100 ms bucket. */
  peakPer100ms: number;
  /** `peakPer100ms` as connections per second. */
  peakRatePerSec: number;
  /** `peakPer100ms / clients`. */
  peakFraction: number;
  /** Restart to every client live again. */
  timeToAllLiveMs: number;
  /** Most connection attempts one client needed. */
  maxAttempts: number;
  /** First to last reconnection. */
  spreadMs: number;
}

/** Standard measurements a scenario contributes to the rollout gates (gates.ts). */
export interface Kpi {
  /** Subscriptions that resumed from a stored cursor. */
  resumes?: number;
  /** stale_cursor recoveries the clients went through. */
  staleCursors?: number;
  /** Updates applied twice (must be 0). */
  duplicates?: number;
  /** Updates applied below an already applied watermark of the same topic (must be 0). */
  outOfOrder?: number;
  /** WebSocket connections made. */
  connections?: number;
  /** slow_consumer disconnects (server evictions). */
  evictions?: number;
  /** Upgrades refused / auth errors seen. */
  authFailures?: number;
  /** Time from connect to caught up, per client replay, ms. */
  replayLatencyMs?: number[];
  /** Time from stale_cursor to live again after a snapshot, ms. */
  bootstrapLatencyMs?: number[];
  storm?: StormKpi;
}

/** What a scenario returns when every assertion held. */
export interface ScenarioResult {
  evidence: Evidence;
  kpi?: Kpi;
}

/** Thrown by a scenario when an assertion fails; carries the evidence gathered so far. */
export class ScenarioFailure extends Error {
  constructor(
    message: string,
    readonly evidence: Evidence = {},
    readonly kpi: Kpi | undefined = undefined,
  ) {
    super(message);
    this.name = 'ScenarioFailure';
  }
}

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  /** This scenario's seed, derived from the run seed and the scenario name. */
  seed: number;
  /** The run's seed (`--seed`). */
  runSeed: number;
  quick: boolean;
  target: HarnessTarget;
  /** A private temp directory, removed after the scenario. */
  tmpDir: string;
  /** `bin/khala-sync.js` of this package (the crash scenario spawns it). */
  bin: string;
  /** Aborted when the scenario times out; long waits should give up. */
  signal: AbortSignal;
  /** Register teardown work; run in reverse order after the scenario, whatever its outcome. */
  defer(fn: () => unknown): void;
  /** Register evidence read after the scenario, whatever its outcome (e.g. a proxy's fault log). */
  collect(key: string, fn: () => unknown): void;
  /** A diagnostic line (stderr with `--verbose`). */
  note(line: string): void;
}

/** One scenario of the matrix. */
export interface Scenario {
  name: string;
  family: 'replay' | 'stale' | 'delivery' | 'storm' | 'multi-client' | 'chaos' | 'crash' | 'limitation' | 'spacetime' | 'migration';
  /** Wire protocol of its clients. Default `khala`. */
  lane?: HarnessLane;
  /** What it asserts, one sentence (docs/harness.md and SUMMARY.md). */
  asserts: string;
  /** Needs the embedded server's controls (publish, prune, faults, restart): skipped against a deployment. */
  control: boolean;
  /** Part of `--quick`. */
  quick: boolean;
  injects: readonly Injection[];
  /** Per-run limit, ms. Default 120 000. */
  timeoutMs?: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** One row of summary.json (SDK_CONTRACTS §4). */
export interface ScenarioReport {
  name: string;
  status: ScenarioStatus;
  duration_ms: number;
  evidence: Evidence;
  failure?: string;
}

/** summary.json (SDK_CONTRACTS §4), exactly. */
export interface HarnessSummary {
  started_at: string;
  finished_at: string;
  target: string;
  sdk_version: string;
  scenarios: ScenarioReport[];
  failures: number;
}
