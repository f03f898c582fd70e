// The Khala inbound shapes (KHALA_PROTOCOL §2, §3) as plain checks for the per-message path. Each
// mirrors the zod/mini schema of record of the same name in ./schemas.ts — same acceptance, same
// output, same first issue — which test/property/khala-checks.property.test.ts holds them to.
// Every check runs on values that already went through `safeJsonParse`.
import { isJsonObject } from '../../util/json.js';
import { arrayOf, bool, custom, fail, int, maybe, num, objectOf, oneOf, refine, str, uint, withDefault, type Checked } from '../../util/shape.js';

/** `{topic, watermark}`, as in `head_watermarks`, `current_watermarks` and heartbeat `watermarks`. */
const topicWatermark = objectOf({ topic: str(), watermark: uint() });

/** A list of `{topic, watermark}`; absent means empty. */
export const topicWatermarkList = withDefault(arrayOf(topicWatermark), () => []);

/** Only `schema_version`, checked before anything else of a frame is looked at (§2.5). */
export const frameVersion = objectOf({ schema_version: int() });

/** A `KhalaFrame.kind`: an enum name, or its number as proto3 JSON parsers also accept. */
export function isFrameKind(value: unknown): value is string | number {
  return typeof value === 'string' || Number.isSafeInteger(value);
}

/** `KhalaFrame` envelope (§2.5). `kind` is an enum name, or its number. */
export const khalaFrame = objectOf({
  topic: str(),
  seq: uint(),
  kind: custom(isFrameKind, 'expected an enum name or number'),
  payload_bytes: str(),
  schema_version: int(),
});

/** What {@link khalaFrame} accepts. */
export type KhalaFrameEnvelope = Checked<typeof khalaFrame>;

/** `sync:heartbeat` push and HEARTBEAT frame payload. */
export const heartbeat = objectOf({ watermarks: topicWatermarkList });

/** Any JSON object (not null, not an array). */
export const jsonObject = custom(isJsonObject, 'expected a JSON object');

/** `phx_reply` payload. A missing `response` is read as `{}`. */
export const phxReply = objectOf({
  status: oneOf(['ok', 'error'] as const, 'expected "ok" or "error"'),
  response: withDefault(jsonObject, () => ({})),
});

const strings = maybe(arrayOf(str()));

/** Join ok response (§2.1). */
export const joinOk = objectOf({ subscription_id: maybe(str()), allowed_topics: strings, current_watermarks: topicWatermarkList });

/** Subscribe ok response (§2.2). */
export const subscribeOk = objectOf({ subscription_id: maybe(str()), topics: strings, current_watermarks: topicWatermarkList });

/** Unsubscribe ok response (§2.3): `topics` are the ones still subscribed. */
export const unsubscribeOk = objectOf({ subscription_id: maybe(str()), topics: strings });

/** Heartbeat ok reply (§2.4). */
export const heartbeatReply = objectOf({ subscription_id: maybe(str()), watermarks: topicWatermarkList });

const staleTopic = objectOf({
  topic: str(),
  reason: maybe(str()),
  qos_tier: maybe(str()),
  resume_after: maybe(uint()),
  retention_floor: maybe(uint()),
  head_watermark: maybe(uint()),
  // Diagnostics only: typed loosely so an odd value never blocks a stale-cursor recovery.
  replay_lag: maybe(num()),
  replay_budget_events: maybe(num()),
});

const snapshotPlan = objectOf({
  format: maybe(str()),
  topics: maybe(arrayOf(objectOf({ topic: str(), head_watermark: maybe(uint()) }))),
});

const nonNegativeMs = refine(num(), (n) => {
  if (n < 0) fail('expected a non-negative number');
});

/** Any server error payload (§3.1 minimal shape plus the extras of §3.2/§3.4); all but `code` optional. */
export const errorPayload = objectOf({
  code: refine(str(), (s) => {
    if (s.length < 1) fail('expected a non-empty string');
  }),
  message: maybe(str()),
  full_resync_required: maybe(bool()),
  retry_after_ms: maybe(nonNegativeMs),
  reconnect_after_ms: maybe(nonNegativeMs),
  reason_codes: strings,
  stale_topics: maybe(arrayOf(staleTopic)),
  snapshot_plan: maybe(snapshotPlan),
  topic: maybe(str()),
  action: maybe(str()),
  queue_depth: maybe(num()),
  queue_limit: maybe(num()),
  forbidden_topics: strings,
  reauth_required: maybe(bool()),
  reason: maybe(str()),
  retryable: maybe(bool()),
  upgrade_required: maybe(bool()),
  surface: maybe(str()),
  protocol_version: maybe(str()),
  min_client_build_id: maybe(str()),
  max_client_build_id: maybe(str()),
  min_schema_version: maybe(num()),
  max_schema_version: maybe(num()),
});

/** Decoded `{topic, watermark}` list. */
export type WireTopicWatermarks = Checked<typeof topicWatermarkList>;
