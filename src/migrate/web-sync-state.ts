import { ErrorCodes, StoreError } from '../errors/index.js';
import type { JsonValue } from '../util/json.js';
import { asObject, cursorValue, invalid } from './legacy-record.js';

const FORMAT = 'web-shell sync state';
/** The `PersistedSyncState` schema the web shell writes (KHALA_PROTOCOL §7.1). */
export const WEB_SYNC_STATE_VERSION = 1;

/** A decoded `PersistedSyncState` (or a legacy v0 record, which has no version and no timestamp). */
export interface WebSyncState {
  /** 1, or 0 for the unversioned legacy record. */
  schemaVersion: number;
  /** K1 topic → watermark, topics trimmed. */
  topicWatermarks: Record<string, number>;
  /** Trimmed, deduplicated, sorted (as the web shell writes them). */
  subscribedTopics: string[];
  /** The record's `updated_at_unix_ms`; 0 for the unversioned legacy record. */
  updatedAtUnixMs: number;
}

/** True when `value` looks like a `PersistedSyncState` of any version. */
export function isWebSyncState(value: JsonValue): boolean {
  const o = asObject(value);
  return o !== undefined && ('topic_watermarks' in o || 'schema_version' in o || 'schemaVersion' in o) && !('entries' in o);
}

function topicList(value: JsonValue | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(FORMAT, '"subscribed_topics" is not an array');
  return value.map((t, index) => {
    if (typeof t !== 'string' || t.trim().length === 0) throw invalid(FORMAT, `subscribed topic ${index} is empty or not a string`, { index });
    return t.trim();
  });
}

/**
 * Decode a web-shell `PersistedSyncState` the way §7.1 defines it: `schema_version` (or
 * `schemaVersion`) 1 as is; absent → legacy v0 (timestamp 0); any other number is a downgrade and
 * refused, never reinterpreted. Unlike the web shell, which clears bad state and starts empty, a
 * migration refuses it: the user's cursors must not silently become nothing.
 *
 * @throws StoreError `UNSUPPORTED_LEGACY_SCHEMA`, `INVALID_LEGACY_RECORD` (bad shape, empty topic,
 *   a topic twice after trimming, watermark not a non-negative integer).
 */
export function decodeWebSyncState(value: JsonValue): WebSyncState {
  const o = asObject(value);
  if (o === undefined || !isWebSyncState(value)) throw new StoreError(ErrorCodes.UNKNOWN_STORE, `not a ${FORMAT}`);
  const version = o['schema_version'] ?? o['schemaVersion'];
  if (version !== undefined && version !== WEB_SYNC_STATE_VERSION) {
    throw new StoreError(ErrorCodes.UNSUPPORTED_LEGACY_SCHEMA, `${FORMAT} has schema_version ${JSON.stringify(version)}; only ${WEB_SYNC_STATE_VERSION} (or none, the legacy v0) is defined — refused, not reinterpreted`, {
      details: { kind: 'web-sync-state', found: version },
    });
  }
  const marks = asObject(o['topic_watermarks']);
  if (marks === undefined) throw invalid(FORMAT, '"topic_watermarks" is missing or not an object');
  const topicWatermarks: Record<string, number> = {};
  for (const [rawTopic, raw] of Object.entries(marks)) {
    const topic = rawTopic.trim();
    if (topic.length === 0) throw invalid(FORMAT, 'a topic in "topic_watermarks" is empty');
    if (Object.hasOwn(topicWatermarks, topic)) throw invalid(FORMAT, `topic "${topic}" appears twice in "topic_watermarks"`, { topic });
    const watermark = cursorValue(raw);
    if (watermark === undefined) throw invalid(FORMAT, `topic "${topic}" has a watermark that is not a non-negative integer`, { topic });
    topicWatermarks[topic] = watermark;
  }
  const updated = version === undefined ? 0 : cursorValue(o['updated_at_unix_ms']);
  if (updated === undefined) throw invalid(FORMAT, '"updated_at_unix_ms" is not a non-negative integer');
  return {
    schemaVersion: version === undefined ? 0 : WEB_SYNC_STATE_VERSION,
    topicWatermarks,
    subscribedTopics: [...new Set(topicList(o['subscribed_topics']))].sort(),
    updatedAtUnixMs: updated,
  };
}
