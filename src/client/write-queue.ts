import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';

/**
 * The driver's serial store writes and its timers, with one lifetime: a batch commit, a snapshot's
 * staging and swap and a hydration never race because each runs after the one queued before it, and
 * `dispose()` aborts in-flight HTTP work (through `signal`) and clears every timer.
 */
export class WriteQueue {
  #tail: Promise<void> = Promise.resolve();
  /** Writes started and not yet settled (bookkeeping included). */
  #inFlight = 0;
  readonly #abort = new AbortController();
  /** Pending timers; made on the first (an idle client has none). */
  #timers: Set<ReturnType<typeof setTimeout>> | undefined;

  /** Aborted by {@link dispose} (reason: `client_closed`). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Run `op` after every write queued before it; a failure is the caller's, not the queue's. With
   * nothing in flight `op` starts at once: waiting a turn for an idle queue cost every live batch
   * three promise hops before its commit (latency pass, docs/benchmarks.md).
   */
  write<T>(op: () => Promise<T>): Promise<T> {
    // Started in the executor, so a store that throws synchronously or returns a plain value (an
    // app's own SyncStore) still yields a promise, as the later writes' `then(op)` does.
    const next = this.#inFlight === 0 ? new Promise<T>((resolve) => resolve(op())) : this.#tail.then(op);
    this.#inFlight++;
    const settled = (): void => void this.#inFlight--;
    this.#tail = next.then(settled, settled);
    return next;
  }

  /** Resolves when every queued write has finished. */
  flush(): Promise<void> {
    return this.#tail;
  }

  /** Run `fn` in `ms` unless disposed by then. */
  later(ms: number, fn: () => void): void {
    if (this.#abort.signal.aborted) return;
    const t = setTimeout(() => {
      this.#timers?.delete(t);
      fn();
    }, ms);
    (this.#timers ??= new Set()).add(t);
  }

  /** Abort in-flight work and clear timers. */
  dispose(): void {
    this.#abort.abort(new KhalaSyncError('client', ErrorCodes.CLIENT_CLOSED, 'client closed'));
    for (const t of this.#timers ?? []) clearTimeout(t);
    this.#timers = undefined;
  }
}
