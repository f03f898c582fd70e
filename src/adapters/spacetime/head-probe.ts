import type { ProtocolError } from '../../errors/protocol-error.js';
import { decodeStreamHeadRow } from './rows.js';

/**
 * The `stream_head` rows of a `OneOffQueryResponse` as `{stream: head_seq}`, keeping only streams
 * `wanted` accepts (heartbeat hints: never cursors). A bad row refuses the whole answer.
 */
export function headsOf(tables: ReadonlyArray<{ table_name: string; rows: string[] }>, headTable: string, wanted: (stream: string) => boolean): { ok: true; heads: Record<string, number> } | { ok: false; error: ProtocolError } {
  const heads: Record<string, number> = {};
  for (const table of tables) {
    if (table.table_name !== headTable) continue;
    for (const text of table.rows) {
      const row = decodeStreamHeadRow(text, 'OneOffQueryResponse');
      if (!row.ok) return row;
      // defineProperty: a stream id is server data and must not reach a prototype setter.
      if (wanted(row.value.stream)) Object.defineProperty(heads, row.value.stream, { value: row.value.head, enumerable: true, writable: true, configurable: true });
    }
  }
  return { ok: true, heads };
}
