import type { SyncBatch, SyncUpdate } from '../../model/types.js';
import type { WireUpdateBatch } from './checks.js';

/**
 * Convert a validated wire `UpdateBatch` into the core's {@link SyncBatch}.
 *
 * The batch topic is the updates' topic (the schema already guarantees they share one), else
 * `topicHint` (a frame's own topic), else the first `head_watermarks` entry. An empty batch with no
 * topic at all carries nothing the core could use and yields `undefined`. `headWatermark` is taken
 * from the `head_watermarks` entry of the batch's own topic; entries for other topics are ignored.
 */
export function toSyncBatch(wire: WireUpdateBatch, topicHint?: string): SyncBatch | undefined {
  const topic = wire.updates[0]?.topic ?? topicHint ?? wire.head_watermarks[0]?.topic;
  if (topic === undefined) return undefined;
  const updates: SyncUpdate[] = wire.updates.map((u) => ({
    topic: u.topic,
    docKey: u.doc_key,
    docVersion: u.doc_version,
    payload: u.payload,
    payloadHash: u.payload_hash,
    watermark: u.watermark,
    hydrationRequired: u.hydration_required,
  }));
  let headWatermark: number | undefined;
  for (const head of wire.head_watermarks) {
    if (head.topic === topic) headWatermark = head.watermark;
  }
  return { topic, updates, replayComplete: wire.replay_complete, headWatermark };
}
