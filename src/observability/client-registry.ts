import type { ClientHealth } from './health.js';
import type { HealthTracker } from './health-tracker.js';
import { MetricsRegistry } from './registry.js';

/**
 * `client.metrics` with the `clientMetrics()` plug-in: the client's metrics registry, plus its
 * connection and topic health. Health lives here rather than on `SyncClient` so that an app
 * without the plug-in carries none of it (docs/migrating.md, 0.2).
 */
export class ClientMetricsRegistry extends MetricsRegistry {
  private readonly tracker: HealthTracker;
  // Made on the first listener: most clients are scraped, not watched.
  #listeners: Set<(health: ClientHealth) => void> | undefined;

  constructor(tracker: HealthTracker) {
    super();
    this.tracker = tracker;
  }

  /** Connection and per-topic health at `now` (ms since the epoch, default `Date.now()`): state, retries, last disconnect, watermark, head, lag, progress. */
  health(now = Date.now()): ClientHealth {
    return this.tracker.health(now);
  }

  /**
   * Call `listener` with the health snapshot after each status change (reconnects included, as
   * `backoff`), error, stale, bootstrap or caught-up, never per batch; returns its removal.
   */
  onHealth(listener: (health: ClientHealth) => void): () => void {
    (this.#listeners ??= new Set()).add(listener);
    return () => void this.#listeners?.delete(listener);
  }

  /** Something health shows changed: tell the listeners (the snapshot is taken only when one listens). */
  changed(): void {
    if (!this.#listeners?.size) return;
    const h = this.tracker.health();
    for (const l of this.#listeners) l(h);
  }
}
