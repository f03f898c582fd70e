import type { JsonValue } from '../util/json.js';

/** One document of a snapshot page. */
export interface SnapshotDoc {
  /** The document's key within its topic. */
  docKey: string;
  /** The document's version; a held document is only replaced by one of a higher or equal version. */
  docVersion: number;
  /** The document's body (any JSON value). */
  payload: JsonValue;
  /** The body's `payload_hash`, checked when `verifyPayloadHash` covers fetched bodies; null when the source sent none. */
  payloadHash: string | null;
}

/** One page of a snapshot (SDK_CONTRACTS §1). Every page of one snapshot has the same head. */
export interface SnapshotPage {
  /** The topic the page belongs to. */
  topic: string;
  /** The watermark the snapshot stands at: the topic's cursor once the snapshot is committed. */
  headWatermark: number;
  /** The page's documents. */
  docs: SnapshotDoc[];
}

/** What a snapshot source is given. */
export interface SnapshotRequest {
  /** Aborted when the client closes. */
  signal: AbortSignal;
  /** Mints a fresh sync token on each call: a source may reuse one for several requests, and call again after a 401. */
  token: () => Promise<string>;
  /**
   * Optional. A source that holds pages back before yielding them calls this with each page as it
   * arrives, so the client can start per-page work (payload hash checks) while later pages are
   * still on the network (`httpSnapshotSource` yields each page at once, and calls it just before).
   * The page must be the same object, unchanged, when it is yielded. Never throws. Sources may
   * ignore it: the client then does that work as pages are yielded.
   */
  onPage?: (page: SnapshotPage) => void;
}

/**
 * Yields the pages of a topic's snapshot. The client stages each page in its store before it asks
 * for the next one, so yield pages as they come rather than collecting them: memory then stays
 * bounded by a page. When the generation moves mid-read, start over from the first page of the new
 * one: a page naming another head than the page before it makes the client drop what it staged.
 * Throw a `SnapshotError` to fail (its `retryable` flag decides whether the client tries again
 * later). The default is `httpSnapshotSource`.
 */
export type SnapshotSource = (topic: string, request: SnapshotRequest) => AsyncIterable<SnapshotPage>;

/** Fetches one pointer-mode document (SDK_CONTRACTS §2). Default: `httpHydrator`. */
export type Hydrator = (
  topic: string,
  docKey: string,
  request: SnapshotRequest,
) => Promise<{ docKey: string; docVersion: number; payload: JsonValue; payloadHash: string | null }>;
