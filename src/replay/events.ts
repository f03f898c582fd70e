import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncErrorPayload, SyncUpdate } from '../model/types.js';

/** Inputs of the replay state machine (see `SPEC.md`). */
export type ReplayInput =
  | { type: 'subscribe'; topics: string[]; cursors: Record<string, number> }
  | { type: 'unsubscribe'; topics: string[] }
  | { type: 'ready' }
  | { type: 'subscribe_sent'; requestId: number; topics: string[] }
  | { type: 'subscribed'; requestId: number; topics: string[] }
  | { type: 'subscribe_failed'; requestId: number; topics: string[]; error: SyncErrorPayload }
  | { type: 'server_error'; error: SyncErrorPayload }
  /**
   * A batch for a subscribed topic was planned and, when it applied anything, committed. `head` is
   * its `head_watermarks` entry; `cursorAheadReported` says the plan reported `cursor_ahead_of_head`.
   */
  | { type: 'batch_committed'; topic: string; lastApplied: number | undefined; replayComplete: boolean; head: number | undefined; cursorAheadReported: boolean }
  /** A batch arrived for a topic not subscribed: reported unless the app just left it (A9). */
  | { type: 'batch_unsubscribed'; topic: string }
  /** Every page of a snapshot was read (nothing stored yet): the machine accepts it (`store_snapshot`) or refuses it (R12). */
  | { type: 'snapshot_read'; topic: string; head: number }
  | { type: 'snapshot_applied'; topic: string; head: number; documents: number }
  | { type: 'snapshot_failed'; topic: string; error: KhalaSyncError }
  | { type: 'resync'; topic: string }
  | { type: 'disconnected' };

/** What the client reports to the app. */
export type ReplayEvent =
  | { type: 'caught_up'; topic: string; watermark: number | undefined }
  | { type: 'stale'; topic: string; reason: string | undefined; resumeAfter: number | undefined; retentionFloor: number | undefined; headWatermark: number | undefined }
  | { type: 'bootstrap'; topic: string; headWatermark: number; documents: number }
  | { type: 'error'; error: KhalaSyncError };

/** Work the driver must do for the state machine. */
export type ReplayEffect =
  | { type: 'subscribe'; topics: string[]; resumeAfter: Record<string, number> }
  | { type: 'unsubscribe'; topics: string[] }
  | { type: 'fetch_snapshot'; topic: string; head: number | undefined; delayMs: number }
  /** Replace the topic's documents and watermark with the snapshot just read, in one transaction. */
  | { type: 'store_snapshot'; topic: string; head: number }
  | { type: 'reconnect'; afterMs: number | undefined; reason: string }
  | { type: 'stop'; error: KhalaSyncError }
  | { type: 'emit'; event: ReplayEvent };

/** Applied updates reported for one committed batch. */
export interface AppliedBatch {
  /** The topic the updates belong to. */
  topic: string;
  /** The updates just committed, in watermark order. */
  updates: SyncUpdate[];
  /** True while the topic had not caught up yet when the batch arrived. */
  replayed: boolean;
}
