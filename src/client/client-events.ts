import type { LaneNotice } from '../adapters/lane.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncDocument } from '../model/types.js';
import type { AppliedBatch } from '../replay/events.js';
import type { TopicPhase } from '../replay/state.js';
import type { ClientStatus } from './options.js';
import type { ClientTelemetryEvent } from './telemetry.js';

/** Events of {@link SyncClient}. Listeners never receive tokens. */
export interface SyncClientEvents {
  /** Updates newly applied (durable) for one topic, in watermark order. Never fired twice for one update. */
  updates: (batch: AppliedBatch) => void;
  /** The connection status changed; `reason` says why when there is one (an error code, `closed`...). */
  status: (status: ClientStatus, reason: string | undefined) => void;
  /** A topic replayed its backlog and is live; `watermark` is its cursor then. */
  caught_up: (info: { topic: string; watermark: number | undefined }) => void;
  /** A topic's cursor went stale (`stale_cursor`): the recovery (snapshot or replay) starts. Not an error. */
  stale: (info: { topic: string; reason: string | undefined; resumeAfter: number | undefined; retentionFloor: number | undefined; headWatermark: number | undefined }) => void;
  /** A topic was bootstrapped from a snapshot: its documents replaced, its cursor at `headWatermark`. */
  bootstrap: (info: { topic: string; headWatermark: number; documents: number }) => void;
  /** A pointer-mode document got its body (hydration). */
  hydrated: (doc: SyncDocument) => void;
  /** Server head watermarks from a heartbeat: informational, never a cursor. */
  heartbeat: (watermarks: Record<string, number>) => void;
  /** Every reported problem, with a stable `code`. Emitting it never throws. */
  error: (error: KhalaSyncError) => void;
  /** `ClientTelemetryEvent`s (reconnect, auth_failure, replay, delivery_error) for the app's pipeline; only with the `telemetry` plug-in. */
  telemetry: (event: ClientTelemetryEvent) => void;
  /** Lane diagnostics: head probes and gaps, unmatched or timed-out replies, checkpoint acks (Spacetime). */
  notice: (notice: LaneNotice) => void;
}

/** Immutable view for `useSyncExternalStore`; a new object after every change. */
export interface SyncSnapshot {
  /** The connection status when the snapshot was taken. */
  readonly status: ClientStatus;
  /** Grows on every change the snapshot reflects: a new snapshot object only when it moved. */
  readonly revision: number;
  /** Each subscribed topic's phase and watermark. */
  readonly topics: Readonly<Record<string, { phase: TopicPhase; watermark: number | undefined }>>;
}
