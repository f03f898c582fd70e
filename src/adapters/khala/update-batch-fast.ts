// A hand-written validator for the hot `UpdateBatch` (every sync:frame and sync:update_batch body),
// checked against the zod schema of record by test/property/update-batch-fast.property.test.ts.
//
// Why: zod/mini has no JIT; walking its schema objects cost ~2 µs per update, the second largest
// item of the replay profile after payload hashing (docs/benchmarks.md). This walk only ever
// *accepts*: it returns the parsed batch when the input is one it is sure zod accepts (with the
// very output zod would give), and `undefined` for anything else — including every invalid input
// and the rare valid shapes it does not model (string payloads, §14.3) — which then goes through
// zod, so acceptance, outputs and error messages are exactly zod's.
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { UpdateBatchSchema, type WireUpdateBatch } from './schemas.js';
import { validatePayload, type Validated } from '../validate.js';

type Wire = WireUpdateBatch;
type WireUpdate = Wire['updates'][number];

// Plain objects only (what JSON.parse builds); anything exotic is left to zod.
function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function uint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function fastUpdate(u: unknown): WireUpdate | undefined {
  if (!plainObject(u)) return undefined;
  const { topic, doc_key, doc_version, payload, payload_hash, watermark, hydration_required } = u;
  if (typeof topic !== 'string' || typeof doc_key !== 'string' || !uint(doc_version) || !uint(watermark)) return undefined;
  // null (pointer mode) or a JSON object pass through the schema's transform unchanged.
  if (payload !== null && !isJsonObject(payload)) return undefined;
  if (payload_hash !== undefined && payload_hash !== null && typeof payload_hash !== 'string') return undefined;
  if (hydration_required !== undefined && typeof hydration_required !== 'boolean') return undefined;
  return {
    topic,
    doc_key,
    doc_version,
    payload: payload as JsonObject | null,
    payload_hash: payload_hash ?? null,
    watermark,
    hydration_required: hydration_required ?? false,
  };
}

/**
 * The zod `UpdateBatchSchema` output for `value` when this fast walk can vouch for it, else
 * `undefined` (not necessarily invalid: ask zod).
 */
export function fastUpdateBatch(value: unknown): Wire | undefined {
  if (!plainObject(value)) return undefined;
  const { updates: rawUpdates, replay_complete, head_watermarks } = value;
  if (!Array.isArray(rawUpdates)) return undefined;
  if (replay_complete !== undefined && typeof replay_complete !== 'boolean') return undefined;
  const n = rawUpdates.length;
  const updates = new Array<WireUpdate>(n);
  for (let i = 0; i < n; i++) {
    const u = fastUpdate(rawUpdates[i]);
    if (u === undefined) return undefined;
    // The schema's refinement: one topic, strictly ascending watermarks.
    if (i > 0 && (u.topic !== updates[0]!.topic || u.watermark <= updates[i - 1]!.watermark)) return undefined;
    updates[i] = u;
  }
  let heads: Wire['head_watermarks'] = [];
  if (head_watermarks !== undefined) {
    if (!Array.isArray(head_watermarks)) return undefined;
    heads = new Array<Wire['head_watermarks'][number]>(head_watermarks.length);
    for (let i = 0; i < head_watermarks.length; i++) {
      const h: unknown = head_watermarks[i];
      if (!plainObject(h) || typeof h['topic'] !== 'string' || !uint(h['watermark'])) return undefined;
      heads[i] = { topic: h['topic'], watermark: h['watermark'] };
    }
  }
  return { updates, replay_complete: replay_complete ?? false, head_watermarks: heads };
}

/**
 * {@link validatePayload} with {@link UpdateBatchSchema}, taking the fast walk first: same results,
 * same `invalid_payload` errors (those always come from zod).
 */
export function validateUpdateBatch(value: unknown, context: string, topic?: string): Validated<Wire> {
  const fast = fastUpdateBatch(value);
  return fast !== undefined ? { ok: true, value: fast } : validatePayload(UpdateBatchSchema, value, context, topic);
}
