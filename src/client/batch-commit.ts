import type { TopicCommit } from '../model/types.js';
import { toStoreError } from '../watermarks/store-guards.js';
import type { SyncStore } from '../watermarks/store.js';
import type { DriverEvents, DriverTransport } from './driver-ports.js';
import type { WriteQueue } from './write-queue.js';

/**
 * Commit one batch's plan through the write queue, so it never races a snapshot or a hydration.
 * With `timing` (the metrics plug-in's histogram) the store write is timed in seconds. A failed
 * commit advanced nothing: a retryable store error is reported and the connection dropped, so the
 * server re-delivers from the durable cursor (SPEC.md A7); a store that cannot recover (closed, out
 * of space) would fail every redelivery, so the client stops (C5). Resolves true once durable.
 */
export async function commitBatch(queue: WriteQueue, store: SyncStore, commit: TopicCommit, timing: { observe(seconds: number): void } | undefined, events: Pick<DriverEvents, 'event'>, transport: Pick<DriverTransport, 'reconnect' | 'halt'>): Promise<boolean> {
  try {
    // Untimed (no metrics plug-in), the write is the store's own promise: no wrapper to await.
    await queue.write(
      timing === undefined
        ? () => store.commit(commit)
        : async () => {
            const t0 = performance.now();
            await store.commit(commit);
            timing.observe((performance.now() - t0) / 1000);
          },
    );
    return true;
  } catch (err) {
    // Typed whatever a custom store threw: retryable unless the store said it cannot go on.
    const error = toStoreError(store.kind, 'commit', err, commit.topic);
    if (error.retryable) {
      events.event({ type: 'error', error });
      transport.reconnect(undefined, error.code);
    } else transport.halt(error);
    return false;
  }
}
