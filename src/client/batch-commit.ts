import type { TopicCommit } from '../model/types.js';
import type { SyncStore } from '../watermarks/store.js';
import type { WriteQueue } from './write-queue.js';

/**
 * Commit one batch's plan through the write queue, so it never races a snapshot or a hydration.
 * With `timing` (the metrics plug-in's histogram) the store write is timed in seconds.
 */
export function commitBatch(queue: WriteQueue, store: SyncStore, commit: TopicCommit, timing: { observe(seconds: number): void } | undefined): Promise<void> {
  // Untimed (no metrics plug-in), the write is the store's own promise: no wrapper to await.
  return queue.write(
    timing === undefined
      ? () => store.commit(commit)
      : async () => {
          const t0 = performance.now();
          await store.commit(commit);
          timing.observe((performance.now() - t0) / 1000);
        },
  );
}
