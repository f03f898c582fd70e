import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, type KhalaSyncError } from '../errors/khala-sync-error.js';
import { StoreError } from '../errors/store-error.js';
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

/** A failed commit as the typed error the app sees: a store error, retryable (nothing advanced). */
export function asStoreError(err: unknown, topic: string): KhalaSyncError {
  if (isKhalaSyncError(err)) return err;
  return new StoreError(ErrorCodes.STORE_FAILED, `store write failed: ${err instanceof Error ? err.message : String(err)}`, { topic, retryable: true, cause: err });
}
