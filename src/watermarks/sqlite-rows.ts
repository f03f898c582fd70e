import type { SyncDocument } from '../model/types.js';
import { safeJsonParse } from '../util/json.js';

/** A row of `documents` (or `staged_documents`), as better-sqlite3 returns it. */
export interface DocRow {
  topic: string;
  doc_key: string;
  doc_version: number;
  payload_json: string;
  payload_hash: string | null;
  watermark: number;
  hydration_pending: number;
}

/** A stored row as a document. */
export function fromRow(row: DocRow): SyncDocument {
  // A damaged or tampered body must not fail the whole load: the document is kept with no body and
  // marked pending, exactly like a pointer-mode update, so a hydrator (or the next update) fills it.
  const parsed = typeof row.payload_json === 'string' ? safeJsonParse(row.payload_json) : undefined;
  return {
    topic: row.topic,
    docKey: row.doc_key,
    docVersion: row.doc_version,
    payload: parsed?.ok ? parsed.value : null,
    payloadHash: row.payload_hash,
    watermark: row.watermark,
    hydrationPending: row.hydration_pending !== 0 || parsed?.ok !== true,
  };
}
