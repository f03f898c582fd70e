import { ErrorCodes } from '../../errors/codes.js';
import type { ProtocolError } from '../../errors/protocol-error.js';
import type { SyncBatch, SyncUpdate } from '../../model/types.js';
import { decodeSyncEventRow, type SyncEventRow } from './rows.js';
import type { WireTableUpdate } from './schemas.js';

/** Result of {@link collectInserts}: data, never an exception. */
export type CollectResult = { ok: true; byStream: Map<string, SyncEventRow[]> } | { ok: false; error: ProtocolError };

/**
 * Decode the inserted `sync_event` rows of `tables` and group them by stream, sorted by `seq` and
 * deduplicated by `(stream_id, seq, payload_hash)` (§5 rule 5: a delta is a set; overlapping queries
 * repeat rows; a same-seq row with another hash is a conflict the core reports, SPEC.md A13).
 *
 * - Tables other than `table` are ignored (§5 rule 6), as are streams `wanted` rejects.
 * - Deletes are never read: a `sync_event` delete is not an event retraction (an update is a
 *   delete plus an insert; rows leaving a predicate or retention arrive as deletes).
 * - One bad row refuses the whole message, so a message is applied entirely or not at all; the
 *   next good message then shows a gap and the stream recovers by snapshot.
 */
export function collectInserts(tables: readonly WireTableUpdate[], table: string, columns: readonly string[], wanted: (stream: string) => boolean, context: string): CollectResult {
  const byStream = new Map<string, SyncEventRow[]>();
  for (const t of tables) {
    if (t.table_name !== table) continue;
    for (const [u, update] of t.updates.entries()) {
      for (const [i, text] of update.inserts.entries()) {
        const row = decodeSyncEventRow(text, columns, `${context} ${table} updates[${u}].inserts[${i}]`);
        if (!row.ok) {
          // A stream past 2^53 that is not wanted (failed already, or never ours) does not refuse the others' rows.
          if (row.error.code === ErrorCodes.SEQ_OUT_OF_RANGE && !wanted(row.error.topic!)) continue;
          return row;
        }
        if (!wanted(row.value.streamId)) continue;
        let list = byStream.get(row.value.streamId);
        if (list === undefined) byStream.set(row.value.streamId, (list = []));
        list.push(row.value);
      }
    }
  }
  for (const [stream, list] of byStream) byStream.set(stream, sortUnique(list));
  return { ok: true, byStream };
}

/**
 * Sort by seq (stably: the first copy of a seq stays first) and drop repeats of a seq that carry
 * the same `payload_hash`. A repeat with another hash is kept behind the first copy: the core
 * reports it as `payload_conflict` and keeps the first (SPEC.md A13).
 */
export function sortUnique(rows: SyncEventRow[]): SyncEventRow[] {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  return sorted.filter((r, i) => {
    for (let j = i - 1; j >= 0 && sorted[j]!.seq === r.seq; j--) if (sorted[j]!.payloadHash === r.payloadHash) return false;
    return true;
  });
}

/**
 * One stream's rows as a core {@link SyncBatch}. A `sync_event` row is an event, so each is its own
 * document: `doc_key` = `idempotency_key` (the table's primary key), `doc_version` = `watermark` =
 * `seq`, body = the parsed `payload_json`, hash = `payload_hash` (verified by the core, A6).
 */
export function toStreamBatch(stream: string, rows: SyncEventRow[], replayComplete: boolean): SyncBatch {
  const updates: SyncUpdate[] = rows.map((r) => ({
    topic: stream,
    docKey: r.idempotencyKey,
    docVersion: r.seq,
    payload: r.payload,
    payloadHash: r.payloadHash,
    watermark: r.seq,
    hydrationRequired: false,
    publishedAtMs: r.committedAtMs,
  }));
  return { topic: stream, updates, replayComplete, headWatermark: undefined };
}
