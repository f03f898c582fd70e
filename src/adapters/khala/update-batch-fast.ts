// A hand-written decoder for the hot `UpdateBatch` (every sync:frame and sync:update_batch body),
// checked against the zod schema of record by test/property/update-batch-fast.property.test.ts.
//
// Why: zod/mini has no JIT; walking its schema objects cost ~2 µs per update, and building the wire
// shape and then the core shape cost one object per update each (docs/benchmarks.md). This walk
// builds the core `SyncBatch` in one pass, and only ever *accepts*: it returns the batch when the
// input is one it is sure zod accepts (the very batch `toSyncBatch` would build from zod's output),
// and `undefined` for anything else — including every invalid input and the rare valid shapes it
// does not model (string payloads, §14.3) — which then goes through zod, so acceptance, outputs and
// error messages are exactly zod's.
import type { SyncBatch, SyncUpdate } from '../../model/types.js';
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { updateBatch } from './checks.js';
import { LONE_SURROGATE } from '../../util/shape.js';
import { toSyncBatch } from './update-batch.js';
import { validateShape, type Validated } from '../validate.js';

// Plain objects only (what JSON.parse builds); anything exotic is left to zod.
function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function uint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function fastUpdate(u: unknown): SyncUpdate | undefined {
  if (!plainObject(u)) return undefined;
  const { topic, doc_key, doc_version, payload, payload_hash, watermark, hydration_required } = u;
  if (typeof topic !== 'string' || typeof doc_key !== 'string' || LONE_SURROGATE.test(doc_key) || !uint(doc_version) || !uint(watermark)) return undefined;
  // null (pointer mode) or a JSON object pass through the schema's transform unchanged.
  if (payload !== null && !isJsonObject(payload)) return undefined;
  if (payload_hash !== undefined && payload_hash !== null && typeof payload_hash !== 'string') return undefined;
  if (hydration_required !== undefined && typeof hydration_required !== 'boolean') return undefined;
  return {
    topic,
    docKey: doc_key,
    docVersion: doc_version,
    payload: payload as JsonObject | null,
    payloadHash: payload_hash ?? null,
    watermark,
    hydrationRequired: hydration_required ?? false,
  };
}

/**
 * `toSyncBatch(zod output of value, topicHint)` when this fast walk can vouch for `value`, else
 * `undefined` (not necessarily invalid: ask zod). `null` means valid but topic-less (see toSyncBatch).
 */
export function fastSyncBatch(value: unknown, topicHint?: string): SyncBatch | null | undefined {
  if (!plainObject(value)) return undefined;
  const { updates: rawUpdates, replay_complete, head_watermarks } = value;
  if (!Array.isArray(rawUpdates)) return undefined;
  if (replay_complete !== undefined && typeof replay_complete !== 'boolean') return undefined;
  const n = rawUpdates.length;
  const updates = new Array<SyncUpdate>(n);
  for (let i = 0; i < n; i++) {
    const u = fastUpdate(rawUpdates[i]);
    if (u === undefined) return undefined;
    // The schema's refinement: one topic, strictly ascending watermarks.
    if (i > 0) {
      if (u.topic !== updates[0]!.topic || u.watermark <= updates[i - 1]!.watermark) return undefined;
      // Every update then holds the first one's topic string: JSON.parse made one copy per update,
      // and each stored document would keep its own (bench profile, docs/benchmarks.md).
      u.topic = updates[0]!.topic;
    }
    updates[i] = u;
  }
  let firstHeadTopic: string | undefined;
  let headWatermark: number | undefined;
  const topic = updates[0]?.topic ?? topicHint;
  if (head_watermarks !== undefined) {
    if (!Array.isArray(head_watermarks)) return undefined;
    for (let i = 0; i < head_watermarks.length; i++) {
      const h: unknown = head_watermarks[i];
      if (!plainObject(h) || typeof h['topic'] !== 'string' || !uint(h['watermark'])) return undefined;
      if (i === 0) firstHeadTopic = h['topic'];
      if (h['topic'] === (topic ?? firstHeadTopic)) headWatermark = h['watermark'];
    }
  }
  const batchTopic = topic ?? firstHeadTopic;
  if (batchTopic === undefined) return null;
  return { topic: batchTopic, updates, replayComplete: replay_complete ?? false, headWatermark };
}

/**
 * Validate an `UpdateBatch` and convert it to the core's {@link SyncBatch} (undefined when it has
 * no topic at all, see `toSyncBatch`), taking the fast walk first: same results, same
 * `invalid_payload` errors as `validateShape(updateBatch, …)` + `toSyncBatch` (errors
 * always come from zod).
 */
export function decodeUpdateBatch(value: unknown, context: string, topic?: string): Validated<SyncBatch | undefined> {
  const fast = fastSyncBatch(value, topic);
  if (fast !== undefined) return { ok: true, value: fast ?? undefined };
  const wire = validateShape(updateBatch, value, context, topic);
  return wire.ok ? { ok: true, value: toSyncBatch(wire.value, topic) } : wire;
}
