import type { StaleTopic, SyncErrorPayload } from '../../model/types.js';
import type { JsonObject } from '../../util/json.js';
import { errorPayload } from './checks.js';
import { validateShape, type Validated } from '../validate.js';
import { setOwn } from '../../util/records.js';

const ENUM_PREFIX = /^SYNC_ERROR_CODE_/i;

/**
 * Normalize a wire error code (KHALA_PROTOCOL §3.1, §14.11): trim, strip a `SYNC_ERROR_CODE_` prefix,
 * lowercase, and map `FORBIDDEN_STREAM` (the v2 name) to `forbidden_topic`. Codes are lowercased even
 * without the prefix so that `STALE_CURSOR` and `stale_cursor` are one code.
 * A code that is blank once stripped becomes `unspecified`.
 * Examples: `SYNC_ERROR_CODE_STALE_CURSOR` → `stale_cursor`; `FORBIDDEN_STREAM` → `forbidden_topic`.
 */
export function normalizeErrorCode(code: string): string {
  const lowered = code.trim().replace(ENUM_PREFIX, '').toLowerCase();
  if (lowered === 'forbidden_stream') return 'forbidden_topic';
  // A bare prefix or blank code says nothing; `unspecified` is what the enum's zero value means.
  return lowered === '' ? 'unspecified' : lowered;
}

// Phoenix's own error replies carry no code, only a prose reason such as `{"reason":"unmatched topic"}`;
// snake-casing it gives a stable code (`unmatched_topic`) the core can switch on.
function codeOf(raw: JsonObject): unknown {
  const code = raw['code'];
  if (code !== undefined && code !== null) return code;
  const reason = raw['reason'];
  return typeof reason === 'string' ? reason.trim().toLowerCase().replace(/\s+/g, '_') : code;
}

/**
 * An enum-like string the server sends (an action, a reply status, a stale reason) as the client
 * compares it: trimmed and lowercased, as codes are, so `DISCONNECT` and `disconnect` are one value
 * (docs/protocol/khala.md §3.1). Undefined for null or absent.
 */
export function wireEnum(value: string | null | undefined): string | undefined {
  return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
}

/**
 * Validate and normalize one server error payload (a `sync:error` push, a decoded ERROR frame, or the
 * `response` of an error `phx_reply`) into a {@link SyncErrorPayload}.
 *
 * - `code` is normalized by {@link normalizeErrorCode}; a payload without `code` but with a string
 *   `reason` (Phoenix `{"reason":"unmatched topic"}`) gets the snake-cased reason (`unmatched_topic`).
 * - `stale_topics` entries need only `topic`; every other field may be missing (older producers).
 * - `snapshot_plan.topics[].head_watermark` → `snapshotHeads` (kept apart: §14.19 prefers the stale entry's head);
 *   undefined when there is no `snapshot_plan`.
 * - `retryAfterMs` is the larger of `reconnect_after_ms` and `retry_after_ms` (both are floors).
 * - `fullResyncRequired` defaults to false; `forbiddenTopics` and `staleTopics` to [].
 * - `raw` is the payload exactly as received.
 * A payload without a usable code, or with a field of the wrong type, is `invalid_payload`.
 */
export function normalizeServerError(raw: JsonObject, context: string): Validated<SyncErrorPayload> {
  const checked = validateShape(errorPayload, { ...raw, code: codeOf(raw) }, context);
  if (!checked.ok) return checked;
  const wire = checked.value;

  // `?? undefined`: absent and null both mean "not sent" (proto3 JSON producers may write either).
  const staleTopics: StaleTopic[] = (wire.stale_topics ?? []).map((t) => ({
    topic: t.topic,
    reason: wireEnum(t.reason),
    resumeAfter: t.resume_after ?? undefined,
    retentionFloor: t.retention_floor ?? undefined,
    headWatermark: t.head_watermark ?? undefined,
  }));

  let snapshotHeads: Record<string, number> | undefined;
  if (wire.snapshot_plan) {
    snapshotHeads = {};
    for (const entry of wire.snapshot_plan.topics ?? []) if (entry.head_watermark != null) setOwn(snapshotHeads, entry.topic, entry.head_watermark);
  }

  // Both are floors: the later one wins.
  const retry = Math.max(wire.reconnect_after_ms ?? -1, wire.retry_after_ms ?? -1);
  const action = wireEnum(wire.action);

  return {
    ok: true,
    value: {
      code: normalizeErrorCode(wire.code),
      message: wire.message ?? undefined,
      fullResyncRequired: wire.full_resync_required ?? false,
      staleTopics,
      snapshotHeads,
      topic: wire.topic ?? undefined,
      action: action === 'throttle' || action === 'disconnect' ? action : undefined,
      retryAfterMs: retry < 0 ? undefined : retry,
      forbiddenTopics: wire.forbidden_topics ?? [],
      raw,
    },
  };
}
