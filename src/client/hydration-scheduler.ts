import { hydrateDocument, hydrationFailure } from '../bootstrap/hydrate-document.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncDocument } from '../model/types.js';
import { toStoreError } from '../watermarks/store-guards.js';
import type { DriverMetrics } from './metrics.js';
import type { DriverOptions } from './driver-ports.js';
import type { WriteQueue } from './write-queue.js';

/** What pointer-mode hydration needs from the driver besides its options. */
export interface HydrationDeps {
  metrics: Pick<DriverMetrics, 'hydrationFetches' | 'hydrationFailures'>;
  /** The document held now (a newer one makes the fetched body moot). */
  held(topic: string, docKey: string): SyncDocument | undefined;
  /** The fetched body is stored: update the read copy and tell the app. */
  hydrated(doc: SyncDocument): void;
  error(error: KhalaSyncError): void;
  /** A store that cannot go on (closed, full) stops the client, as a batch commit's does (SPEC.md C5). */
  halt(error: KhalaSyncError): void;
}

/** Hydration requests in flight at once, at most; the other documents wait their turn. */
export const MAX_HYDRATIONS_IN_FLIGHT = 8;

/**
 * Fetches the bodies of pointer-mode documents (SDK_CONTRACTS §2), one fetch per document at a
 * time and {@link MAX_HYDRATIONS_IN_FLIGHT} at most in all (a server sending a batch of 10,000
 * pointer-mode updates must not open 10,000 requests), retried per `hydrationFailure`'s policy;
 * the body is stored through the write queue.
 */
export class HydrationScheduler {
  /** Documents scheduled: fetching, or waiting for a slot. */
  readonly #inFlight = new Set<string>();
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  readonly #o: DriverOptions;
  readonly #queue: WriteQueue;
  readonly #deps: HydrationDeps;

  /** `options.hydrator` fetches the bodies. */
  constructor(options: DriverOptions, queue: WriteQueue, deps: HydrationDeps) {
    this.#o = options;
    this.#queue = queue;
    this.#deps = deps;
  }

  /** Fetch `doc`'s body unless a fetch for it is already scheduled. */
  schedule(doc: SyncDocument, attempt = 0): void {
    const signal = this.#queue.signal;
    const key = `${doc.topic}\u0000${doc.docKey}`;
    if (this.#inFlight.has(key) || signal.aborted) return;
    this.#inFlight.add(key);
    void this.#slot()
      .then(() => {
        if (signal.aborted) return;
        this.#deps.metrics.hydrationFetches++;
        return this.#run(doc, attempt);
      })
      .finally(() => {
        this.#inFlight.delete(key);
        // The slot passes to the next waiting document, if any.
        const next = this.#waiting.shift();
        if (next === undefined) this.#running--;
        else next();
      });
  }

  #slot(): Promise<void> {
    if (this.#running < MAX_HYDRATIONS_IN_FLIGHT) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #run(doc: SyncDocument, attempt: number): Promise<void> {
    const deps = this.#deps;
    const { hydrator, store, token, check, verifyPayloadHash } = this.#o;
    const queue = this.#queue;
    try {
      const held = () => deps.held(doc.topic, doc.docKey);
      const next = await hydrateDocument(hydrator!, doc, { signal: queue.signal, token, verifyHashes: verifyPayloadHash !== 'off', held });
      if (next === undefined) return; // older than what we hold
      if (check !== undefined && (await check(next.topic, [next])).length === 0) return; // stays pending
      try {
        await queue.write(() => store.putHydrated(next));
      } catch (err) {
        // Retrying a write the store can never take only repeats the error (SPEC.md C5): stop instead;
        // the document stays pending and is fetched again after connect().
        const error = toStoreError(store.kind, 'putHydrated', err, doc.topic);
        if (!error.retryable) return deps.halt(error);
        throw err;
      }
      deps.hydrated(next);
    } catch (err) {
      if (queue.signal.aborted) return;
      deps.metrics.hydrationFailures++;
      const { error, retryInMs } = hydrationFailure(doc, err, attempt);
      deps.error(error);
      if (retryInMs !== undefined) queue.later(retryInMs, () => this.schedule(doc, attempt + 1));
    }
  }
}
