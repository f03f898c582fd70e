import type { JsonValue } from '../util/json.js';

/** One document of a snapshot page. */
export interface SnapshotDoc {
  docKey: string;
  docVersion: number;
  payload: JsonValue;
  payloadHash: string | null;
}

/** One page of a snapshot (SDK_CONTRACTS §1). Every page of one snapshot has the same head. */
export interface SnapshotPage {
  topic: string;
  headWatermark: number;
  docs: SnapshotDoc[];
}

/** What a snapshot source is given. */
export interface SnapshotRequest {
  /** Aborted when the client closes. */
  signal: AbortSignal;
  /** A fresh sync token. */
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
