// Inbound Khala shapes (KHALA_PROTOCOL §2, §3) as zod/mini schemas: the schema of record. The client
// runs the plain checks of ./checks.ts (held to these by test/property/khala-checks.property.test.ts);
// these serve tests, the bench baseline and anyone who wants a zod view of the wire.
// Every schema runs on values that already went through `safeJsonParse`, so objects are plain JSON.
import * as z from 'zod/mini';
import type { SyncBatch } from '../../model/types.js';
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { decodeBase64Json } from './payload-bytes.js';
import { isFrameKind } from './checks.js';
import { LONE_SURROGATE, NOT_WELL_FORMED } from '../../util/shape.js';
import { quote } from '../validate.js';

const UINT = 'expected a non-negative safe integer';
const STRING = 'expected a string';
const BOOLEAN = 'expected a boolean';
const NUMBER = 'expected a finite number';

/** A non-negative safe integer: watermarks, versions, seq. Negative, fractional and string values are refused. */
export const UintSchema = z.int(UINT).check(z.nonnegative(UINT));

/** Any JSON object (not null, not an array). */
export const JsonObjectSchema = z.custom<JsonObject>(isJsonObject, 'expected a JSON object');

// Absent and null both mean "not sent": proto3 JSON producers may write either.
const maybe = <T extends z.ZodMiniType>(schema: T) => z.optional(z.nullable(schema));
const str = () => z.string(STRING);
const bool = () => z.boolean(BOOLEAN);

/** `{topic, watermark}`, as in `head_watermarks`, `current_watermarks` and heartbeat `watermarks`. */
export const TopicWatermarkSchema = z.object({ topic: str(), watermark: UintSchema });

/** A list of {@link TopicWatermarkSchema}; absent means empty. */
export const TopicWatermarkListSchema = z._default(z.array(TopicWatermarkSchema), () => []);

/**
 * `Update.payload`: a JSON object, `null` (pointer mode), or — tolerated per §14.3 — a string holding
 * base64 of UTF-8 JSON, which is decoded here. An undecodable string or a non-object result is refused.
 */
export const UpdatePayloadSchema = z.pipe(
  z.unknown(),
  z.transform((value: unknown, ctx): JsonObject | null => {
    if (value === null || isJsonObject(value)) return value;
    if (typeof value === 'string') {
      const decoded = decodeBase64Json(value);
      if (decoded.ok && isJsonObject(decoded.value)) return decoded.value;
      const why = decoded.ok ? 'is not an object' : `is not base64 JSON (${decoded.message})`;
      ctx.issues.push({ code: 'custom', message: `string payload ${why}`, input: value });
      return null;
    }
    ctx.issues.push({ code: 'custom', message: 'expected a JSON object, null or a base64 string', input: value });
    return null;
  }),
);

/** One `Update` of an `UpdateBatch` (§2.5). `payload_hash` absent → null; `hydration_required` absent → false. */
export const UpdateSchema = z.object({
  topic: str(),
  doc_key: str().check(z.refine((s: string) => !LONE_SURROGATE.test(s), NOT_WELL_FORMED)),
  doc_version: UintSchema,
  payload: UpdatePayloadSchema,
  payload_hash: z._default(z.nullable(str()), null),
  watermark: UintSchema,
  hydration_required: z._default(bool(), false),
});

/**
 * `UpdateBatch` (§2.5). `replay_complete` absent → false (proto3 JSON omits false), `head_watermarks`
 * absent → []. A batch that mixes topics or whose watermarks do not strictly ascend is refused: the
 * server never builds one, and the core's per-topic dedupe relies on both properties.
 */
export const UpdateBatchSchema = z
  .object({
    updates: z.array(UpdateSchema),
    replay_complete: z._default(bool(), false),
    head_watermarks: TopicWatermarkListSchema,
  })
  .check(
    z.superRefine((batch, ctx) => {
      const first = batch.updates[0];
      if (first === undefined) return;
      for (let i = 1; i < batch.updates.length; i++) {
        const u = batch.updates[i]!;
        const prev = batch.updates[i - 1]!;
        if (u.topic !== first.topic) {
          ctx.addIssue({ code: 'custom', path: ['updates', i, 'topic'], input: u.topic, message: `batch mixes topics ("${quote(first.topic)}", "${quote(u.topic)}")` });
          return;
        }
        if (u.watermark <= prev.watermark) {
          ctx.addIssue({ code: 'custom', path: ['updates', i, 'watermark'], input: u.watermark, message: `watermark ${u.watermark} after ${prev.watermark}` });
          return;
        }
      }
    }),
  );

/**
 * Convert zod's output of {@link UpdateBatchSchema} into the core's {@link SyncBatch}, as the
 * client's one-pass `decodeUpdateBatch` (./update-batch.ts) builds it: the reference its property
 * test and the bench compare it with. The batch topic is the updates' topic, else `topicHint`, else
 * the first `head_watermarks` entry; no topic at all yields `undefined`. `headWatermark` is the last
 * `head_watermarks` entry of that topic.
 */
export function toSyncBatch(wire: z.output<typeof UpdateBatchSchema>, topicHint?: string): SyncBatch | undefined {
  const topic = wire.updates[0]?.topic ?? topicHint ?? wire.head_watermarks[0]?.topic;
  if (topic === undefined) return undefined;
  let headWatermark: number | undefined;
  for (const head of wire.head_watermarks) if (head.topic === topic) headWatermark = head.watermark;
  const updates = wire.updates.map((u) => ({
    topic: u.topic,
    docKey: u.doc_key,
    docVersion: u.doc_version,
    payload: u.payload,
    payloadHash: u.payload_hash,
    watermark: u.watermark,
    hydrationRequired: u.hydration_required,
  }));
  return { topic, updates, replayComplete: wire.replay_complete, headWatermark };
}

/** Only `schema_version`, checked before anything else of a frame is looked at (§2.5). */
export const FrameVersionSchema = z.object({ schema_version: z.int('expected an integer') });

/** `KhalaFrame` envelope (§2.5). `kind` is an enum name, or its number as proto3 JSON parsers also accept. */
export const KhalaFrameSchema = z.object({
  topic: str(),
  seq: UintSchema,
  kind: z.custom<string | number>(isFrameKind, 'expected an enum name or number'),
  payload_bytes: str(),
  schema_version: z.int('expected an integer'),
});

/** `sync:heartbeat` push and HEARTBEAT frame payload: `{watermarks: [...]}`. */
export const HeartbeatSchema = z.object({ watermarks: TopicWatermarkListSchema });

/** `phx_reply` payload. A missing `response` is read as `{}`. */
export const ReplySchema = z.object({
  status: z.literal(['ok', 'error'], 'expected "ok" or "error"'),
  response: z._default(JsonObjectSchema, () => ({})),
});

/** Join ok response (§2.1). `allowed_topics` absent → unknown (undefined). */
export const JoinOkSchema = z.object({
  subscription_id: maybe(str()),
  allowed_topics: maybe(z.array(str())),
  current_watermarks: TopicWatermarkListSchema,
});

/** Subscribe ok response (§2.2). */
export const SubscribeOkSchema = z.object({
  subscription_id: maybe(str()),
  topics: maybe(z.array(str())),
  current_watermarks: TopicWatermarkListSchema,
});

/** Unsubscribe ok response (§2.3): `topics` are the ones STILL subscribed. */
export const UnsubscribeOkSchema = z.object({
  subscription_id: maybe(str()),
  topics: maybe(z.array(str())),
});

/** Heartbeat ok reply (§2.4). */
export const HeartbeatReplySchema = z.object({
  subscription_id: maybe(str()),
  watermarks: TopicWatermarkListSchema,
});

const StaleTopicSchema = z.object({
  topic: str(),
  reason: maybe(str()),
  qos_tier: maybe(str()),
  resume_after: maybe(UintSchema),
  retention_floor: maybe(UintSchema),
  head_watermark: maybe(UintSchema),
  // Diagnostics only: typed loosely so an odd value never blocks a stale-cursor recovery.
  replay_lag: maybe(z.number(NUMBER)),
  replay_budget_events: maybe(z.number(NUMBER)),
});

const SnapshotPlanSchema = z.object({
  format: maybe(str()),
  topics: maybe(z.array(z.object({ topic: str(), head_watermark: maybe(UintSchema) }))),
});

const nonNegativeMs = () => z.number(NUMBER).check(z.nonnegative('expected a non-negative number'));

/**
 * Any server error payload (§3.1 minimal shape `code, message, retry_after_ms, full_resync_required`,
 * plus the stale_cursor, slow_consumer, forbidden_topic, reauth and compatibility extras of §3.2/§3.4).
 * Every field but `code` is optional and may be null.
 */
export const ErrorPayloadSchema = z.object({
  code: str().check(z.minLength(1, 'expected a non-empty string')),
  message: maybe(str()),
  full_resync_required: maybe(bool()),
  retry_after_ms: maybe(nonNegativeMs()),
  reconnect_after_ms: maybe(nonNegativeMs()),
  reason_codes: maybe(z.array(str())),
  stale_topics: maybe(z.array(StaleTopicSchema)),
  snapshot_plan: maybe(SnapshotPlanSchema),
  topic: maybe(str()),
  action: maybe(str()),
  queue_depth: maybe(z.number(NUMBER)),
  queue_limit: maybe(z.number(NUMBER)),
  forbidden_topics: maybe(z.array(str())),
  reauth_required: maybe(bool()),
  reason: maybe(str()),
  retryable: maybe(bool()),
  upgrade_required: maybe(bool()),
  surface: maybe(str()),
  protocol_version: maybe(str()),
  min_client_build_id: maybe(str()),
  max_client_build_id: maybe(str()),
  min_schema_version: maybe(z.number(NUMBER)),
  max_schema_version: maybe(z.number(NUMBER)),
});
