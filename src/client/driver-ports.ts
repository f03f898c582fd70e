import type { Hydrator, SnapshotSource } from '../bootstrap/snapshot-source.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncDocument } from '../model/types.js';
import type { AppliedBatch, ReplayEvent } from '../replay/events.js';
import type { SyncStore } from '../watermarks/store.js';
import type { PayloadHashPolicy } from './options.js';
import type { DocumentCheck } from './topic-schemas.js';

// The replay driver's three ports (what it is given, what it drives, what it reports), kept apart
// from the driver so the client's wiring depends on these shapes, not on the driver's body.

/** The transport half of the driver's effects; the connection implements it. */
export interface DriverTransport {
  /** Send a subscribe; returns its request id, or undefined when not joined. */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number | undefined;
  unsubscribe(topics: string[]): void;
  reconnect(afterMs: number | undefined, reason: string): void;
  /** Stop for good (a stop code, a store that cannot go on): report `error` and wait for the app. */
  halt(error: KhalaSyncError): void;
  /** Recompute replaying/live/failed from the topics' phases (after a change no reply carried). */
  refresh(): void;
}

/** What the driver reports to the app (the facade relays it). */
export interface DriverEvents {
  event(event: ReplayEvent): void;
  applied(batch: AppliedBatch): void;
  hydrated(doc: SyncDocument): void;
  /** State or documents changed. */
  changed(): void;
}

/** Driver configuration. */
export interface DriverOptions {
  store: SyncStore;
  snapshot: SnapshotSource | undefined;
  hydrator: Hydrator | undefined;
  verifyPayloadHash: PayloadHashPolicy;
  token: () => Promise<string>;
  /** Checks documents against the app's topic schemas before they are stored (`schemas` option). Default none. */
  check?: DocumentCheck | undefined;
  /** Observes each batch commit's duration in seconds (the metrics registry's histogram). Default none. */
  commitTiming?: { observe(seconds: number): void };
}
