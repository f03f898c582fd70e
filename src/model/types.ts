import type { JsonObject, JsonValue } from '../util/json.js';

/** What an update and a stored document both say about one document of one topic. */
export interface DocumentFields {
  topic: string;
  /** Opaque document id. */
  docKey: string;
  /** Per-document version; last writer wins by this, never by watermark. */
  docVersion: number;
  /** `payload_hash` as sent (base64 digest or `sha256:<hex>`), or null. */
  payloadHash: string | null;
  /** Per-topic sequence of the update (for a document: of the update that last wrote it). */
  watermark: number;
}

/** One update as the core sees it, whatever lane delivered it. */
export interface SyncUpdate extends DocumentFields {
  /** Document body; `null` in pointer mode. */
  payload: JsonValue | null;
  /** True when the server left the body out (pointer mode). */
  hydrationRequired: boolean;
  /** Unix ms when the update was published, when the lane carries it (Spacetime `committed_at_unix_ms`). */
  publishedAtMs?: number | undefined;
}

/** A batch of updates for one topic, in ascending watermark order. */
export interface SyncBatch {
  /** The topic every update of the batch belongs to. */
  topic: string;
  /** The updates, in ascending watermark order. */
  updates: SyncUpdate[];
  /** True when the batch reached the topic head as it stood when built. */
  replayComplete: boolean;
  /** The server head for this topic at build time, when sent. */
  headWatermark: number | undefined;
}

/** One entry of a `stale_cursor` error's `stale_topics`. */
export interface StaleTopic {
  /** The topic whose cursor is stale. */
  topic: string;
  /** Why, as the server said it (`retention_floor_breach`, `replay_budget_exceeded`...), when it did. */
  reason: string | undefined;
  /** The cursor the client resumed after. */
  resumeAfter: number | undefined;
  /** The oldest watermark the server still keeps, when sent. */
  retentionFloor: number | undefined;
  /** The topic's head on the server, when sent: a snapshot must reach at least this far (SPEC.md R12). */
  headWatermark: number | undefined;
}

/** A server error normalized per KHALA_PROTOCOL §3.1 (codes lowercased, `FORBIDDEN_STREAM` mapped). */
export interface SyncErrorPayload {
  /** The normalized code (lower case, no `SYNC_ERROR_CODE_` prefix; docs/errors.md). */
  code: string;
  /** The server's message, when it sent one (scrubbed before it reaches an error). */
  message: string | undefined;
  /** The server's `full_resync_required` flag: the cursor cannot be resumed. */
  fullResyncRequired: boolean;
  /** For stale_cursor: the stale topics (any subset of fields may be missing). */
  staleTopics: StaleTopic[];
  /**
   * Heads from `snapshot_plan.topics[]` (used when `stale_topics[].head_watermark` is missing), or
   * undefined when the error carried no `snapshot_plan`. With a plan, only the topics it lists with a
   * head are bootstrapped from a snapshot (SPEC.md R4).
   */
  snapshotHeads: Record<string, number> | undefined;
  /** Topic named by the error (`slow_consumer`), when any. */
  topic: string | undefined;
  /** `slow_consumer` action. */
  action: 'throttle' | 'disconnect' | undefined;
  /** Server floor for the next reconnect (`reconnect_after_ms` / `retry_after_ms`). */
  retryAfterMs: number | undefined;
  /** For forbidden_topic. */
  forbiddenTopics: string[];
  /** The payload as received (already safe-parsed), for diagnostics. */
  raw: JsonObject;
}

/** A stored or cached document. */
export interface SyncDocument extends DocumentFields {
  /** Best body held; may be older than `docVersion` while `hydrationPending`, or null if none yet. */
  payload: JsonValue | null;
  /** True while a pointer-mode body is still to be fetched. */
  hydrationPending: boolean;
}

/** One applied batch: its documents and the topic's new watermark, committed together. */
export interface TopicCommit {
  /** The topic written. */
  topic: string;
  /** The topic's new watermark (highest applied). */
  watermark: number;
  /** Documents to upsert. A document is only written over one with a lower or equal `docVersion`. */
  documents: SyncDocument[];
}
