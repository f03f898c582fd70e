import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import type { JsonValue } from '../../util/json.js';
import type { LaneSink } from '../lane.js';
import { validatePayload } from '../validate.js';
import type { CheckpointAcks } from './checkpoint-acks.js';
import { DatabaseUpdateSchema, TransactionUpdateSchema, type WireTableUpdate } from './schemas.js';
import { enumVariant, rawConnectionId } from './server-message.js';

/** What a `TransactionUpdate` means for the session. */
export type TransactionMeaning =
  /** Committed rows to look at (possibly none). */
  | { kind: 'rows'; tables: readonly WireTableUpdate[] }
  /** A request of ours failed outside the query compiler (a subscribe or unsubscribe, §1.6). */
  | { kind: 'request_failed' }
  /** Fully handled here (our reducer's failed reply, or a refused frame). */
  | { kind: 'handled' };

/**
 * Read one `TransactionUpdate` (text kept for the exact u128 `caller_connection_id`). A reply to our
 * checkpoint reducer is matched by `request_id` AND our own `caller_connection_id`, both compared
 * exactly: non-callers see the caller's `request_id` too, and a u128 id rounds as a number (§1.6,
 * §5 rule 9). Anything else naming that reducer is ignored and counted.
 */
export function readTransactionUpdate(body: JsonValue, text: string, sink: LaneSink, acks: CheckpointAcks | undefined, connectionId: string | undefined): TransactionMeaning {
  const v = validatePayload(TransactionUpdateSchema, body, 'TransactionUpdate');
  if (!v.ok) {
    sink.protocolError(v.error);
    return { kind: 'handled' };
  }
  const status = enumVariant(v.value.status);
  const failed = status?.tag === 'Failed' || status?.tag === 'OutOfEnergy';
  const call = v.value.reducer_call;
  if (acks !== undefined && call !== undefined && call.reducer_name === acks.reducerName) {
    const error = failed ? (typeof status?.body === 'string' ? status.body : 'out of energy') : undefined;
    const mine = rawConnectionId(text, -1) === connectionId && acks.reply(call.request_id, error);
    if (!mine) sink.notice?.({ type: 'unmatched_reply', kind: 'reducer', id: String(call.request_id) });
    if (failed) return { kind: 'handled' };
  }
  if (status?.tag === 'Committed') {
    const update = validatePayload(DatabaseUpdateSchema, status.body, 'TransactionUpdate.status.Committed');
    if (update.ok) return { kind: 'rows', tables: update.value.tables };
    sink.protocolError(update.error);
    return { kind: 'handled' };
  }
  if (failed) return { kind: 'request_failed' };
  sink.protocolError(new ProtocolError(ErrorCodes.INVALID_PAYLOAD, 'TransactionUpdate: invalid status: expected Committed, Failed or OutOfEnergy', { details: { context: 'TransactionUpdate', field: 'status' } }));
  return { kind: 'handled' };
}
