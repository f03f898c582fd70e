import type { JsonObject } from '../util/json.js';
import type { TopicJournal } from './journal.js';
import { buildUpdateBatch } from './khala-frames.js';

/** Sends one UpdateBatch; `seq` is the highest watermark in it. */
export type BatchSink = (topic: string, batch: JsonObject, seq: number) => void;

/**
 * Push batches of events after `cursor` (§2.6): ascending, at most `batchSize` per batch, each batch
 * judged against the head as it stands when it is built. Stops after `maxBatches` (live drain sends one
 * batch per tick) or when nothing is left. Returns the last watermark sent, or `cursor` if none.
 */
export function replayTopic(journal: TopicJournal, cursor: number, batchSize: number, sink: BatchSink, maxBatches = Infinity): number {
  let c = cursor;
  for (let n = 0; n < maxBatches; n++) {
    const entries = journal.after(c, batchSize);
    const last = entries[entries.length - 1];
    if (!last) break;
    sink(journal.topic, buildUpdateBatch(journal.topic, entries, journal.replayHead), last.watermark);
    c = last.watermark;
  }
  return c;
}
