/** Counters a client keeps for local checks and rollout gates (KHALA_PROTOCOL §10). */
export interface SyncMetrics {
  /** Updates applied (committed). */
  applied: number;
  /** Updates dropped as already applied (double emission, replays, duplicates). */
  duplicatesDropped: number;
  /** Applied updates whose watermark jumped by more than 1. */
  gapsSeen: number;
  /** stale_cursor recoveries started. */
  staleRecoveries: number;
  /** Snapshots applied. */
  bootstraps: number;
  /** Reconnects scheduled (every backoff). */
  reconnects: number;
  /** Inbound frames refused (protocol errors). */
  framesRejected: number;
  /** Inbound frames refused, by the error code reported (any code, including ones added later). */
  framesRejectedByCode: Record<string, number>;
  /** Applied updates whose document was kept out because the held doc_version is newer (§7.4 rule 4). */
  conflicts: number;
  /** Pointer-mode document fetches started. */
  hydrationFetches: number;
  /** Pointer-mode document fetches that failed. */
  hydrationFailures: number;
  /** Per topic: ms from the subscribe being sent to the latest caught-up. */
  timeToCaughtUpMs: Record<string, number>;
}

/** The counters the replay driver owns (the connection owns `reconnects` and `framesRejected`). */
export type DriverMetrics = Omit<SyncMetrics, 'reconnects' | 'framesRejected' | 'framesRejectedByCode'>;

/** The counters the connection owns. */
export type ConnectionMetrics = Pick<SyncMetrics, 'reconnects' | 'framesRejected' | 'framesRejectedByCode'>;
