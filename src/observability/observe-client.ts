import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { ClientObserver } from './client-observer.js';

/** The client events the observer follows (a subset of `SyncClientEvents`). */
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
 * Feed a client's events to its observer and report `health` on every change that matters to a
 * person watching (status, reconnect, error, stale, bootstrap, caught-up), never per batch.
 * `caughtUpMs(topic)` reads the driver's subscribe → caught-up time.
 */
export function observeClient(client: ObservableClient, observer: ClientObserver, caughtUpMs: (topic: string) => number | undefined, changed: () => void): void {
  client.on('status', (status) => {
    observer.onStatus(status);
    changed();
  });
  client.on('error', (e) => {
    const action = e.details['payload'] as { action?: unknown } | undefined;
    observer.onError(e.code, e.message, typeof action?.action === 'string' ? action.action : undefined);
    changed();
  });
  client.on('heartbeat', (w) => observer.onHeads(w));
  client.on('stale', (s) => {
    observer.onStale(s.topic, s.reason, s.headWatermark);
    changed();
  });
  client.on('bootstrap', (b) => {
    observer.onBootstrap(b.topic, b.headWatermark);
    changed();
  });
  client.on('caught_up', ({ topic }) => {
    observer.onCaughtUp(caughtUpMs(topic));
    changed();
  });
  client.on('updates', (b) => observer.onApplied(b.topic, b.updates[b.updates.length - 1]?.publishedAtMs));
}
