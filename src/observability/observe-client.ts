import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { HealthTracker } from './health-tracker.js';

/** The client events health and metrics follow (a subset of `SyncClientEvents`). */
export interface ObservableClient {
  on(event: 'status', fn: (status: string) => void): unknown;
  on(event: 'error', fn: (error: KhalaSyncError) => void): unknown;
  on(event: 'heartbeat', fn: (watermarks: Record<string, number>) => void): unknown;
  on(event: 'stale', fn: (info: { topic: string; reason: string | undefined; headWatermark: number | undefined }) => void): unknown;
  on(event: 'bootstrap', fn: (info: { topic: string; headWatermark: number }) => void): unknown;
  on(event: 'caught_up', fn: (info: { topic: string }) => void): unknown;
  on(event: 'updates', fn: (batch: { topic: string; updates: ReadonlyArray<{ publishedAtMs?: number }> }) => void): unknown;
}

/**
 * Feed a client's events to its health tracker and report `health` on every change that matters to
 * a person watching (status, error, stale, bootstrap, caught-up; reconnects are reported where
 * they are scheduled), never per batch.
 */
export function observeHealth(client: ObservableClient, tracker: HealthTracker, changed: () => void): void {
  client.on('status', (status) => {
    tracker.onStatus(status);
    changed();
  });
  client.on('error', (e) => {
    tracker.onError(e.code, e.message);
    changed();
  });
  client.on('heartbeat', (w) => tracker.learnHeads(w));
  client.on('stale', (s) => {
    tracker.learnHead(s.topic, s.headWatermark);
    changed();
  });
  client.on('bootstrap', (b) => {
    tracker.learnHead(b.topic, b.headWatermark);
    changed();
  });
  client.on('caught_up', changed);
  client.on('updates', (b) => tracker.onApplied(b.topic));
}
