import { safeJsonParse } from '../../util/json.js';
import { transactionUpdate } from './server-frames.js';

/** The reducer the module exposes for checkpoint acknowledgements (SPACETIME_PROTOCOL §2.1). */
export const ACK_REDUCER = 'ack_stream_checkpoint';
/** Its id in the reference module (ids are positional in a real module; clients match by name). */
const ACK_REDUCER_ID = 7;

/** One `stream_checkpoint` row (§2.1), keyed `"<client_id>:<stream_id>"`. */
export interface CheckpointRow {
  /** `<client_id>:<stream_id>`: one row per client and stream, upserted. */
  checkpoint_key: string;
  /** The `client_id` argument of the acknowledging call. */
  client_id: string;
  /** The stream acknowledged. */
  stream_id: string;
  /** The seq the client says it has durably applied. */
  last_applied_seq: number;
  /** The durable offset the client acknowledged with it. */
  durable_offset: number;
  /** When the row was last written, ms since the epoch. */
  updated_at_unix_ms: number;
}

/** One `ack_stream_checkpoint` call the server received. */
export interface CheckpointCall {
  /** The `client_id` argument. */
  clientId: string;
  /** The stream argument. */
  stream: string;
  /** The seq argument. */
  seq: number;
  /** The call's `request_id`, which its reply echoes. */
  requestId: number;
  /** What the server did: `committed` (row written), `failed` (a scripted error reply), `dropped` (no reply). */
  outcome: 'committed' | 'failed' | 'dropped';
}

/** A scripted outcome of the next reducer call: the reducer returns `Err(error)`, or no reply is sent. */
export type ReducerFault = { kind: 'fail'; error: string } | { kind: 'drop' };

/** The `stream_checkpoint` table plus the fault script of `ack_stream_checkpoint`. */
export class CheckpointTable {
  readonly rows = new Map<string, CheckpointRow>();
  /** Every well-formed call, in order, with what became of it (tests check coalescing and correlation). */
  readonly calls: CheckpointCall[] = [];
  readonly faults: ReducerFault[] = [];
}

/** A `CallReducer` as the socket decoded it. */
export interface ReducerCall {
  name: string;
  args: string;
  requestId: number;
  flags: number;
}

function isU64(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Run one `CallReducer` from the connection `callerConnectionId` and return the frame the caller
 * gets, or undefined when none is due. As the real server (§1.6): an unknown reducer or args that do
 * not decode fail outside the reducer (request id 0, so they cannot be matched); a reducer that
 * returns `Err` fails with the caller's request id; a success goes back as a `Committed` update with
 * the caller's request id and connection id, unless `flags` is 1.
 */
export function callReducer(table: CheckpointTable, call: ReducerCall, callerConnectionId: string): string | undefined {
  const unknownCall = { name: call.name.slice(0, 60), id: 4294967295, args: '[]', requestId: 0 };
  if (call.name !== ACK_REDUCER) return transactionUpdate([], callerConnectionId, `No such reducer \`${call.name.slice(0, 60)}\``, unknownCall);
  const parsed = safeJsonParse(call.args);
  const args = parsed.ok && Array.isArray(parsed.value) ? parsed.value : undefined;
  const [clientId, stream, seq, offset] = args ?? [];
  if (args?.length !== 4 || typeof clientId !== 'string' || typeof stream !== 'string' || !isU64(seq) || !isU64(offset)) {
    return transactionUpdate([], callerConnectionId, `invalid arguments for reducer ${ACK_REDUCER}`, { ...unknownCall, id: ACK_REDUCER_ID });
  }
  const info = { name: ACK_REDUCER, id: ACK_REDUCER_ID, args: call.args, requestId: call.requestId };
  const fault = table.faults.shift();
  const outcome = fault === undefined ? 'committed' : fault.kind === 'drop' ? 'dropped' : 'failed';
  table.calls.push({ clientId, stream, seq, requestId: call.requestId, outcome });
  if (fault?.kind === 'drop') return undefined;
  if (fault?.kind === 'fail') return transactionUpdate([], callerConnectionId, fault.error, info);
  const key = `${clientId}:${stream}`;
  table.rows.set(key, { checkpoint_key: key, client_id: clientId, stream_id: stream, last_applied_seq: seq, durable_offset: offset, updated_at_unix_ms: Date.now() });
  return call.flags === 1 ? undefined : transactionUpdate([], callerConnectionId, undefined, info);
}
