import type { CheckpointAckOptions } from './checkpoint-acks.js';

/** Lane-level settings of a `SpacetimeSession` (see `SpacetimeLaneOptions` for defaults). */
export interface SpacetimeSessionSettings {
  table: string;
  columns: readonly string[];
  /** Head table probed by `heartbeat()`, or null to send nothing. */
  headTable: string | null;
  replayBudget: (stream: string) => number;
  /** How long a head ahead of the watermark may wait for its delta, ms. */
  headGapMs: number;
  /** How long a one-off query may wait for its reply, ms. */
  queryTimeoutMs: number;
  /** Acknowledge durable checkpoints with a reducer; undefined: never. */
  checkpointAck: CheckpointAckOptions | undefined;
}
