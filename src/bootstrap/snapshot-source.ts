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
   * Optional. A source that holds pages back until its whole generation has arrived (as
   * `httpSnapshotSource` does) calls this with each page as it arrives, so the client can start
   * per-page work (payload hash checks) while later pages are still on the network. The page may
   * still be discarded if the generation moves; it must be the same object, unchanged, when it is
   * yielded. Never throws. Sources may ignore it: the client then does that work as pages are yielded.
   */
  onPage?: (page: SnapshotPage) => void;
}

/**
 * Yields the pages of a topic's snapshot. Throw a `SnapshotError` to fail (its `retryable` flag
 * decides whether the client tries again later). The default is `httpSnapshotSource`.
 */
export type SnapshotSource = (topic: string, request: SnapshotRequest) => AsyncIterable<SnapshotPage>;

/** Fetches one pointer-mode document (SDK_CONTRACTS §2). Default: `httpHydrator`. */
export type Hydrator = (
  topic: string,
  docKey: string,
  request: SnapshotRequest,
) => Promise<{ docKey: string; docVersion: number; payload: JsonValue; payloadHash: string | null }>;
