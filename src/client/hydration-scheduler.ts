import { hydrateDocument, hydrationFailure } from '../bootstrap/hydrate-document.js';
import type { Hydrator } from '../bootstrap/snapshot-source.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncDocument } from '../model/types.js';
import type { SyncStore } from '../watermarks/store.js';
import { toStoreError } from '../watermarks/store-guards.js';
import type { DriverMetrics } from './metrics.js';
import type { DocumentCheck } from './topic-schemas.js';
import type { WriteQueue } from './write-queue.js';

/** What pointer-mode hydration needs from the driver. */
export interface HydrationDeps {
  hydrator: Hydrator;
  store: SyncStore;
  queue: WriteQueue;
  token: () => Promise<string>;
  verifyHashes: boolean;
  check: DocumentCheck | undefined;
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

  readonly #deps: HydrationDeps;

  constructor(deps: HydrationDeps) {
    this.#deps = deps;
  }

  /** Fetch `doc`'s body unless a fetch for it is already scheduled. */
  schedule(doc: SyncDocument, attempt = 0): void {
    const deps = this.#deps;
    const key = `${doc.topic}\u0000${doc.docKey}`;
    if (this.#inFlight.has(key) || deps.queue.signal.aborted) return;
    this.#inFlight.add(key);
    void this.#slot()
      .then(() => {
        if (deps.queue.signal.aborted) return;
        deps.metrics.hydrationFetches++;
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
    try {
      const held = () => deps.held(doc.topic, doc.docKey);
      const next = await hydrateDocument(deps.hydrator, doc, { signal: deps.queue.signal, token: deps.token, verifyHashes: deps.verifyHashes, held });
      if (next === undefined) return; // older than what we hold
      if (deps.check !== undefined && (await deps.check(next.topic, [next])).length === 0) return; // stays pending
      try {
        await deps.queue.write(() => deps.store.putHydrated(next));
      } catch (err) {
        // Retrying a write the store can never take only repeats the error (SPEC.md C5): stop instead;
        // the document stays pending and is fetched again after connect().
        const error = toStoreError(deps.store.kind, 'putHydrated', err, doc.topic);
        if (!error.retryable) return deps.halt(error);
        throw err;
      }
      deps.hydrated(next);
    } catch (err) {
      if (deps.queue.signal.aborted) return;
      deps.metrics.hydrationFailures++;
      const { error, retryInMs } = hydrationFailure(doc, err, attempt);
      deps.error(error);
      if (retryInMs !== undefined) deps.queue.later(retryInMs, () => this.schedule(doc, attempt + 1));
    }
  }
}
