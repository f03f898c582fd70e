import { createSpacetimeLane, type SpacetimeLaneOptions } from '../adapters/spacetime/index.js';
import { startSpacetimeServer, type SpacetimeServer, type SpacetimeServerOptions, type SyncEventRecord } from '../server/index.js';
import type { JournalEntry } from '../server/types.js';
import type { JsonValue } from '../util/json.js';
import type { LaneHarness } from './lane-harness.js';
import { openLaneEnv, type LaneEnv, type LaneProbeOptions } from './lane-env.js';
import type { ScenarioContext } from './scenario.js';

/** `sync_event` stream ids of the Spacetime scenarios (none is a prefix of another: frames are matched by text). */
export const ST_WORKER = 'runtime.codex.worker.worker_1';
export const ST_RUN = 'runtime.run.run_7';
export const ST_NOTES = 'runtime.notifications.user_3';

/** Path the lane adds to a base URL (its default database). */
const DEFAULT_SOCKET_PATH = '/v1/database/autopilot-sync/subscribe';

/** Spacetime-specific probe options: lane options besides the client's. */
export interface SpacetimeLaneProbeOptions {
  spacetime?: SpacetimeLaneOptions;
}

/** Probe options of a Spacetime client. */
export type SpacetimeProbeOptions = LaneProbeOptions<SpacetimeLaneProbeOptions>;

/** A Spacetime scenario's world: the reference Spacetime server (or a deployment), its ledger, proxies, probes. */
export interface SpacetimeEnv extends LaneEnv<SpacetimeServer, SpacetimeLaneProbeOptions> {
  /**
   * Append `count` events to `stream` (embedded only), in transactions of 1…`perTx` rows (seeded;
   * exactly `perTx` with `fixed`), and record them in the ledger. Returns the rows inserted.
   */
  publish(stream: string, count: number, options?: { perTx?: number; fixed?: boolean }): JournalEntry[];
}

const TEXT = 'é✓日本🙂';

/** A row as the ledger's journal entry: one document per event (docs/spacetime-lane.md "Mapping"). */
export function journalEntry(row: SyncEventRecord): JournalEntry {
  return { topic: row.stream_id, watermark: row.seq, docKey: row.idempotency_key, docVersion: row.seq, payload: JSON.parse(row.payload_json) as JsonValue, payloadHash: row.payload_hash, pointer: false };
}

/** A socket URL with the lane's default path when given a bare origin (the fault proxy needs the path). */
function socketUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = DEFAULT_SOCKET_PATH;
  return u.toString();
}

/** The Spacetime lane (`v1.json.spacetimedb` over `sync_event`): every client and `tail` must select it. */
export const SPACETIME_HARNESS: LaneHarness<SpacetimeServer, SpacetimeServerOptions, SpacetimeLaneProbeOptions> = {
  serverName: 'embedded Spacetime server',
  startServer: (options) => startSpacetimeServer({ port: 0, ...options }),
  deploymentUrl: socketUrl,
  clientOptions: ({ spacetime, ...rest }) => ({ lane: createSpacetimeLane(spacetime), ...rest }),
  oracleOptions: () => ({ lane: createSpacetimeLane() }),
  tailArgs: ['--lane', 'spacetime'],
};

/**
 * Open a Spacetime scenario's world. Embedded: a fresh `startSpacetimeServer` (closed after the
 * scenario). Deployment (`--lane spacetime --url …`): the target, whose truth comes from an oracle
 * client on the Spacetime lane.
 */
export async function openSpacetimeEnv(ctx: ScenarioContext, spec: { streams: string[]; server?: SpacetimeServerOptions }): Promise<SpacetimeEnv> {
  const env = await openLaneEnv(ctx, SPACETIME_HARNESS, { topics: spec.streams, server: spec.server });
  const { ledger, rnd } = env;
  // Payload counter across streams: every row's payload differs, so hashes differ too.
  let n = 0;
  return Object.assign(env, {
    publish(stream: string, count: number, options: { perTx?: number; fixed?: boolean } = {}): JournalEntry[] {
      const s = env.server;
      const out: JournalEntry[] = [];
      while (out.length < count) {
        const size = Math.min(count - out.length, options.fixed ? (options.perTx ?? 1) : rnd.int(1, options.perTx ?? 1));
        const inputs = Array.from({ length: size }, () => {
          n += 1;
          return { payload: { stream, n, status: rnd.pick(['queued', 'running', 'finished', 'failed']), note: TEXT, nested: { list: [n, n * 2], flag: n % 2 === 0 } } };
        });
        const entries = s.publish(stream, inputs).map(journalEntry);
        ledger.record(entries);
        out.push(...entries);
      }
      return out;
    },
  });
}
