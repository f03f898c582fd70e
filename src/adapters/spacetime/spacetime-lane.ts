import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';
import type { ClientInfo, Lane, LaneSessionOptions } from '../lane.js';
import { SYNC_EVENT_COLUMNS } from './rows.js';
import { buildSpacetimeUrl } from './socket-url.js';
import type { CheckpointAckOptions } from './checkpoint-acks.js';
import { SpacetimeSession } from './spacetime-session.js';
import { isPlainIdentifier } from './sql.js';
import { DEFAULT_REPLAY_BUDGET } from './stale-detect.js';

/** The only subprotocol this lane speaks: JSON exists only as v1 (SPACETIME_PROTOCOL §1.1). */
export const SPACETIME_SUBPROTOCOL = 'v1.json.spacetimedb';

/** Options of {@link createSpacetimeLane}. */
export interface SpacetimeLaneOptions {
  /** Database name or hex identity, put in the path of a base URL. Default `autopilot-sync` (the OA module). */
  database?: string;
  /** Event table. Default `sync_event`. */
  table?: string;
  /** Column order of positional (array) rows. Default the deployed `sync_event` order (§2.1). */
  columns?: readonly string[];
  /** Head table probed by the keep-alive `OneOffQuery`; `null` sends no keep-alive. Default `stream_head`. */
  headTable?: string | null;
  /** Largest replay accepted on resume, in events, per stream (a number or a function of the stream). Default 20 000. */
  replayBudget?: number | ((stream: string) => number);
  /** How long a `stream_head` ahead of the watermark may wait for its delta before the stream is stale, ms. Default 5 000. */
  headGapMs?: number;
  /** How long a one-off query (head probe) may wait for its reply, ms. Default 10 000. */
  queryTimeoutMs?: number;
  /** Acknowledge durable checkpoints with `ack_stream_checkpoint` (§2.1). Default off. */
  checkpointAck?: CheckpointAckOptions;
}

/** Defaults of {@link SpacetimeLaneOptions}: the deployed OA module's names, and the lane's timings. */
export const SPACETIME_LANE_DEFAULTS = Object.freeze({
  database: 'autopilot-sync',
  table: 'sync_event',
  headTable: 'stream_head' as string | null,
  replayBudget: DEFAULT_REPLAY_BUDGET,
  headGapMs: 5_000,
  queryTimeoutMs: 10_000,
});

function invalid(message: string): KhalaSyncError {
  return new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, message);
}

/**
 * Create the Spacetime lane (`spacetime.sync.v1` over SpacetimeDB's `v1.json.spacetimedb`). It
 * offers exactly that subprotocol; the connection refuses any other echo (`subprotocol_mismatch`).
 * Throws `invalid_option` for a table or column name that is not a plain identifier (it goes into
 * SQL unquoted), an empty database, or a budget that is not a positive safe integer.
 */
export function createSpacetimeLane(options: SpacetimeLaneOptions = {}): Lane {
  const database = options.database ?? SPACETIME_LANE_DEFAULTS.database;
  const table = options.table ?? SPACETIME_LANE_DEFAULTS.table;
  const headTable = options.headTable === undefined ? SPACETIME_LANE_DEFAULTS.headTable : options.headTable;
  const columns = Object.freeze([...(options.columns ?? SYNC_EVENT_COLUMNS)]);
  if (database === '') throw invalid('database must not be empty');
  if (!isPlainIdentifier(table)) throw invalid('table must be a plain SQL identifier');
  if (headTable !== null && !isPlainIdentifier(headTable)) throw invalid('headTable must be a plain SQL identifier or null');
  for (const needed of ['stream_id', 'seq', 'payload_json', 'idempotency_key', 'payload_hash']) {
    if (!columns.includes(needed)) throw invalid(`columns must include ${needed}`);
  }
  const budget = options.replayBudget ?? SPACETIME_LANE_DEFAULTS.replayBudget;
  if (typeof budget === 'number' && (!Number.isSafeInteger(budget) || budget < 1)) throw invalid('replayBudget must be a positive safe integer');
  const replayBudget = typeof budget === 'number' ? () => budget : budget;
  const headGapMs = options.headGapMs ?? SPACETIME_LANE_DEFAULTS.headGapMs;
  const queryTimeoutMs = options.queryTimeoutMs ?? SPACETIME_LANE_DEFAULTS.queryTimeoutMs;
  for (const [name, v] of [['headGapMs', headGapMs], ['queryTimeoutMs', queryTimeoutMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw invalid(`${name} must be a positive integer`);
  }
  const checkpointAck = options.checkpointAck;
  if (checkpointAck !== undefined && (typeof checkpointAck.clientId !== 'string' || checkpointAck.clientId === '')) throw invalid('checkpointAck.clientId must be a non-empty string');
  return Object.freeze({
    name: 'spacetime',
    protocols: [SPACETIME_SUBPROTOCOL],
    buildUrl: (url: string, token: string, _info: ClientInfo) => buildSpacetimeUrl(url, token, database),
    createSession: (sessionOptions: LaneSessionOptions) => new SpacetimeSession(sessionOptions, { table, columns, headTable, replayBudget, headGapMs, queryTimeoutMs, checkpointAck }),
  });
}

/** The Spacetime lane with default options (database `autopilot-sync`, table `sync_event`, budget 20 000). */
export const spacetimeLane: Lane = createSpacetimeLane();
