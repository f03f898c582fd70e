import { bytesToBase64, utf8Encode } from '../hash/encoding.js';
import type { JsonObject, JsonValue } from '../util/json.js';
import type { JournalEntry } from './types.js';

/** `KhalaFrameKind` names the Phoenix server emitted (§2.5). */
export const FRAME_KIND_UPDATE_BATCH = 'KHALA_FRAME_KIND_UPDATE_BATCH';
/** Error frames always carry `seq: 0` (§2.5). */
export const FRAME_KIND_ERROR = 'KHALA_FRAME_KIND_ERROR';

/** One `updates[]` element of an UpdateBatch, in the wire key order of §2.5. */
export function wireUpdate(entry: JournalEntry): JsonObject {
  return {
    topic: entry.topic,
    doc_key: entry.docKey,
    doc_version: entry.docVersion,
    // Pointer mode leaves the body out but keeps the hash of the full document (§2.7).
    payload: entry.pointer ? null : entry.payload,
    payload_hash: entry.payloadHash,
    watermark: entry.watermark,
    hydration_required: entry.pointer,
  };
}

/**
 * An UpdateBatch for one topic (§2.5): `replay_complete` when the batch reaches the head as it stood
 * at build time, `head_watermarks` naming only this topic.
 */
export function buildUpdateBatch(topic: string, entries: JournalEntry[], head: number): JsonObject {
  const last = entries[entries.length - 1]?.watermark ?? 0;
  return {
    updates: entries.map(wireUpdate),
    replay_complete: last >= head,
    head_watermarks: [{ topic, watermark: head }],
  };
}

/** A KhalaFrame envelope: `payload_bytes` is base64 of the UTF-8 bytes of compact JSON (§2.5). */
export function khalaFrame(topic: string, seq: number, kind: string, payload: JsonValue): JsonObject {
  return {
    topic,
    seq,
    kind,
    payload_bytes: bytesToBase64(utf8Encode(JSON.stringify(payload))),
    schema_version: 1,
  };
}
