import type { ProbeOptions } from './probe.js';

/**
 * The embedded server of a lane, as far as lane-neutral scenario steps drive it. The Khala reference
 * server and the reference Spacetime server both satisfy it; publishing is not here because the
 * two take different inputs (documents vs `sync_event` rows), so each lane's env adds its own.
 */
export interface LaneServer {
  /** Socket URL clients connect to. */
  readonly url: string;
  /** Base of the SDK_CONTRACTS §1 snapshot endpoint. */
  readonly snapshotUrl: string;
  /** `POST` here mints a client token. */
  readonly tokenUrl: string;
  /** Highest watermark (seq) of a topic, 0 if none. */
  head(topic: string): number;
  /** Lowest retained watermark, `undefined` when nothing is retained. */
  oldest(topic: string): number | undefined;
  /** Drop entries with `watermark <= keepAfter`: moves the retention floor. */
  prune(topic: string, keepAfter: number): void;
  close(): Promise<void>;
}

/** Probe options common to every lane (the lane itself is chosen by the {@link LaneHarness}). */
export type BaseProbeOptions = Omit<Partial<ProbeOptions>, 'lane'>;

/**
 * What differs between lanes when a scenario's world is opened: how the embedded server starts,
 * how a deployment URL becomes a socket URL, which client options select the lane, and how a
 * spawned `tail` is told the lane. Everything else (proxies, probes, ledger, oracle, tokens) is
 * shared by `openLaneEnv`.
 *
 * `S` is the lane's server, `SO` its start options, `X` the lane-specific probe options a scenario
 * may pass (e.g. Spacetime lane options).
 */
export interface LaneHarness<S extends LaneServer, SO, X extends object> {
  /** Names the embedded server in "this step needs …" failures. */
  readonly serverName: string;
  /** Start a fresh embedded server on an ephemeral port with the scenario's options. */
  startServer(options: SO | undefined): Promise<S>;
  /** The socket URL of a deployment given as `--url` (a lane may complete a bare origin). */
  deploymentUrl(url: string): string;
  /** Client options of a probe: the lane-specific options of `X` turned into a client lane, the rest kept. */
  clientOptions(options: BaseProbeOptions & X): Partial<ProbeOptions>;
  /** Client options of the deployment oracle (a clean client with the lane's defaults). */
  oracleOptions(): Partial<ProbeOptions>;
  /** Leading arguments of a spawned `khala-sync tail` that select the lane (none for the default lane). */
  readonly tailArgs: readonly string[];
}
