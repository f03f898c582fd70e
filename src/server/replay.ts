import type { JsonObject } from '../util/json.js';
import type { TopicJournal } from './journal.js';
import { buildUpdateBatch } from './khala-frames.js';

/** Sends one UpdateBatch; `seq` is the highest watermark in it. */
export type BatchSink = (topic: string, batch: JsonObject, seq: number) => void;

/**
 * Push the next batch of events after `cursor` (§2.6): ascending, at most `batchSize` events,
 * judged against the head as it stands when it is built. Returns the last watermark sent, or
 * `cursor` when nothing is left. The live drain sends one batch per tick; {@link streamReplay}
 * loops over it.
 */
export function sendNextBatch(journal: TopicJournal, cursor: number, batchSize: number, sink: BatchSink): number {
  const entries = journal.after(cursor, batchSize);
  const last = entries[entries.length - 1];
  if (!last) return cursor;
  sink(journal.topic, buildUpdateBatch(journal.topic, entries, journal.replayHead), last.watermark);
  return last.watermark;
}

/** How {@link streamReplay} paces itself against the socket. */
export interface ReplayFlow {
  /** False once the channel ended: the replay stops where it is. */
  alive(): boolean;
  /** Bytes sent but not yet handed to the kernel (`ws.bufferedAmount`). */
  buffered(): number;
  /** Called after every batch with the watermark it reached. */
  progress(watermark: number): void;
}

/** Above this many unsent bytes the replay waits for the socket before building more. */
export const REPLAY_HIGH_WATER_BYTES = 1 << 20;
/** ...until no more than this many are left. */
export const REPLAY_LOW_WATER_BYTES = 1 << 18;
/** Batches built back to back at most before the event loop gets a turn (other sockets, timers). */
export const REPLAY_BATCHES_PER_TURN = 32;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
// A timer, not setImmediate: spinning on immediates while the client reads would burn the CPU the
// client (or, in the benchmark, a second process on a 2-core machine) needs. 1 ms is well under the
// time a client takes to consume the low-water mark.
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/**
 * {@link sendNextBatch} over a whole backlog, streamed: the same batches in the same order, but the
 * event loop gets a turn every {@link REPLAY_BATCHES_PER_TURN} batches, and whenever more than
 * {@link REPLAY_HIGH_WATER_BYTES} wait in the socket it pauses until no more than
 * {@link REPLAY_LOW_WATER_BYTES} do. Built in one synchronous loop, a large replay
 * sat in user space until the last batch was built (the kernel buffers only hold a few MB), so the
 * client could not start before the server finished; the Elixir server this models streams (its
 * channel process pushes while the socket process writes). A replay shorter than one turn still
 * completes synchronously. Resolves with the last watermark sent, or `cursor` if none.
 */
export async function streamReplay(journal: TopicJournal, cursor: number, batchSize: number, sink: BatchSink, flow: ReplayFlow): Promise<number> {
  let c = cursor;
  let sinceTurn = 0;
  while (flow.alive()) {
    // Pruned past what was sent since the replay started: stop rather than skip the pruned rows.
    if (c !== cursor && c < journal.retentionFloor) break;
    const next = sendNextBatch(journal, c, batchSize, sink);
    if (next === c) break;
    c = next;
    flow.progress(c);
    if (flow.buffered() > REPLAY_HIGH_WATER_BYTES) {
      sinceTurn = 0;
      do await pause();
      while (flow.alive() && flow.buffered() > REPLAY_LOW_WATER_BYTES);
    } else if (++sinceTurn >= REPLAY_BATCHES_PER_TURN) {
      sinceTurn = 0;
      await turn();
    }
  }
  return c;
}
