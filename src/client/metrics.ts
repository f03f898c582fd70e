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
  /** Per topic: ms from the subscribe being sent to the latest caught-up. */
  timeToCaughtUpMs: Record<string, number>;
}

/** The counters the replay driver owns (the connection owns `reconnects` and `framesRejected`). */
export type DriverMetrics = Omit<SyncMetrics, 'reconnects' | 'framesRejected'>;

/** The counters the connection owns. */
export type ConnectionMetrics = Pick<SyncMetrics, 'reconnects' | 'framesRejected'>;
