// The hot `UpdateBatch` (every sync:frame and sync:update_batch body), read in one hand-written
// pass that builds the core `SyncBatch` directly: zod/mini has no JIT and walking schema objects cost
// ~2 µs per update, and building a wire shape and then the core shape cost two objects per update
// (docs/benchmarks.md). Its refusals are those of the zod schema of record (`UpdateBatchSchema` in
// ./schemas.ts), first failing field and message included, which
// test/property/update-batch.property.test.ts holds it to.
import type { SyncBatch, SyncUpdate } from '../../model/types.js';
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { at, fail, failAt, LONE_SURROGATE, NOT_WELL_FORMED, ShapeIssue, STRING, UINT, BOOLEAN } from '../../util/shape.js';
import { topicWatermarkList } from './checks.js';
import { decodeBase64Json } from './payload-bytes.js';
import { quote, validateShape, type Validated } from '../validate.js';

function uint(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

// Own keys only, as every check reads them. JSON.parse builds plain objects, read as they are;
// anything else (only tests build one) is copied first so an inherited `updates` is not read.
function fields(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(value === undefined ? 'is required' : 'expected object');
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? (value as Record<string, unknown>) : { ...value };
}

/** `Update.payload`: a JSON object, `null` (pointer mode), or a base64 string of UTF-8 JSON (§14.3), decoded. */
function payloadOf(value: unknown): JsonObject | null {
  if (value === null || isJsonObject(value)) return value;
  if (typeof value !== 'string') failAt(['payload'], 'expected a JSON object, null or a base64 string');
  const decoded = decodeBase64Json(value);
  if (decoded.ok && isJsonObject(decoded.value)) return decoded.value;
  return failAt(['payload'], `string payload ${decoded.ok ? 'is not an object' : `is not base64 JSON (${decoded.message})`}`);
}

function update(value: unknown): SyncUpdate {
  const { topic, doc_key, doc_version, payload, payload_hash, watermark, hydration_required } = fields(value);
  if (typeof topic !== 'string') failAt(['topic'], STRING);
  if (typeof doc_key !== 'string') failAt(['doc_key'], STRING);
  if (LONE_SURROGATE.test(doc_key)) failAt(['doc_key'], NOT_WELL_FORMED);
  if (!uint(doc_version)) failAt(['doc_version'], UINT);
  const body = payloadOf(payload);
  if (payload_hash != null && typeof payload_hash !== 'string') failAt(['payload_hash'], STRING);
  if (!uint(watermark)) failAt(['watermark'], UINT);
  if (hydration_required !== undefined && typeof hydration_required !== 'boolean') failAt(['hydration_required'], BOOLEAN);
  return { topic, docKey: doc_key, docVersion: doc_version, payload: body, payloadHash: payload_hash ?? null, watermark, hydrationRequired: hydration_required ?? false };
}

// The batch, or null when it has no topic at all: no update, no `frameTopic` and no
// `head_watermarks` entry; it carries nothing the core could use. `headWatermark` is the last
// `head_watermarks` entry of the batch's topic; entries of other topics are ignored.
function syncBatch(value: unknown, frameTopic: string | undefined): SyncBatch | null {
  const { updates: list, replay_complete, head_watermarks } = fields(value);
  if (!Array.isArray(list)) failAt(['updates'], list === undefined ? 'is required' : 'expected array');
  const n = list.length;
  const updates = new Array<SyncUpdate>(n);
  let i = 0;
  try {
    for (; i < n; i++) updates[i] = update(list[i]);
  } catch (err) {
    if (err instanceof ShapeIssue) err.path.unshift('updates', i);
    throw err;
  }
  if (replay_complete !== undefined && typeof replay_complete !== 'boolean') failAt(['replay_complete'], BOOLEAN);
  const heads = at('head_watermarks', topicWatermarkList, head_watermarks);
  // One topic and strictly ascending watermarks: the core's per-topic dedupe relies on both.
  const first = updates[0];
  for (i = 1; i < n; i++) {
    const u = updates[i]!;
    const prev = updates[i - 1]!.watermark;
    if (u.topic !== first!.topic) failAt(['updates', i, 'topic'], `batch mixes topics ("${quote(first!.topic)}", "${quote(u.topic)}")`);
    if (u.watermark <= prev) failAt(['updates', i, 'watermark'], `watermark ${u.watermark} after ${prev}`);
    // Every update then holds the first one's topic string: JSON.parse made one copy per update,
    // and each stored document would keep its own (bench profile, docs/benchmarks.md).
    u.topic = first!.topic;
  }
  if (first !== undefined && frameTopic !== undefined && first.topic !== frameTopic) {
    failAt(['updates', 0, 'topic'], `"${quote(first.topic)}" is not the frame topic "${quote(frameTopic)}"`);
  }
  const topic = first?.topic ?? frameTopic ?? heads[0]?.topic;
  if (topic === undefined) return null;
  let headWatermark: number | undefined;
  for (const head of heads) if (head.topic === topic) headWatermark = head.watermark;
  return { topic, updates, replayComplete: replay_complete ?? false, headWatermark };
}

/**
 * Validate an `UpdateBatch` and convert it to the core's {@link SyncBatch} (undefined when it has no
 * topic at all). `topic` is the topic of the `sync:frame` that carried it: the batch's topic, which
 * its updates must have. A refusal is `invalid_payload` naming `context` and the first offending field.
 */
export function decodeUpdateBatch(value: unknown, context: string, topic?: string): Validated<SyncBatch | undefined> {
  const decoded = validateShape((v) => syncBatch(v, topic), value, context, topic);
  return decoded.ok ? { ok: true, value: decoded.value ?? undefined } : decoded;
}
