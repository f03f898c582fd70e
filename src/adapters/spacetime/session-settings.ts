import type { CheckpointAckOptions } from './checkpoint-acks.js';

/** Lane-level settings of a `SpacetimeSession` (see `SpacetimeLaneOptions` for defaults). */
export interface SpacetimeSessionSettings {
  /** The event table subscribed (`sync_event`). */
  table: string;
  /** Column order of positional rows. */
  columns: readonly string[];
  /** Head table probed by `heartbeat()`, or null to send nothing. */
  headTable: string | null;
  /** Largest replay accepted on resume for a stream, in events; above it the stream is stale. */
  replayBudget: (stream: string) => number;
  /** How long a head ahead of the watermark may wait for its delta, ms. */
  headGapMs: number;
  /** How long a one-off query may wait for its reply, ms. */
  queryTimeoutMs: number;
  /** Acknowledge durable checkpoints with a reducer; undefined: never. */
  checkpointAck: CheckpointAckOptions | undefined;
}
