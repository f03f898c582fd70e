import { commitBatch } from './batch-commit.js';
import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import { webCrypto } from '../hash/web-digest.js';
import type { DriverEvents, DriverOptions, DriverTransport } from './driver-ports.js';
import type { SyncBatch, SyncDocument, SyncErrorPayload } from '../model/types.js';
import type { ReplayEffect, ReplayInput } from '../replay/events.js';
import { hashMismatches } from '../replay/hash-mismatches.js';
import { droppedWhole, planBatch } from '../replay/plan-batch.js';
import { RecentHashes } from '../replay/recent-hashes.js';
import { createReplayState, type ReplayState, type TopicState } from '../replay/state.js';
import { transition } from '../replay/transitions.js';
import { DocumentCache } from './document-cache.js';
import { HydrationScheduler } from './hydration-scheduler.js';
import { MissingHydrator } from './missing-hydrator.js';
import { emptyRecord } from '../util/records.js';
import { countEvent, type DriverMetrics } from './metrics.js';
import { SnapshotBootstrap } from './snapshot-bootstrap.js';
import { loadStoredContents } from './stored-cursors.js';
import { refusedUpdates } from './topic-schemas.js';
import { WriteQueue } from './write-queue.js';

// connection.ts imports the transport port from here.
export type { DriverTransport } from './driver-ports.js';

/**
 * Runs the pure replay machine against real storage: feeds it inputs, executes its effects, and
 * keeps every store write on one queue so a batch, a snapshot and a hydration never race. It holds
 * no rules (src/replay/SPEC.md): the machine decides, `bootstrap/` fetches, the store persists.
 */
export class ReplayDriver {
  #state: ReplayState = createReplayState();
  readonly #docs = new DocumentCache();
  /** Hashes of recently applied updates, for the duplicate comparison (SPEC.md A13). */
  readonly #hashes = new RecentHashes();
  /** Counters this driver keeps (plain fields: read them, never write them). */
  readonly metrics: DriverMetrics = { applied: 0, duplicatesDropped: 0, gapsSeen: 0, staleRecoveries: 0, bootstraps: 0, conflicts: 0, payloadConflicts: 0, hydrationFetches: 0, hydrationFailures: 0, timeToCaughtUpMs: emptyRecord() };
  /** Per topic, its latest subscribe: when it was sent (for time to caught up) and the cursor it carried. */
  private readonly sent = new Map<string, { at: number; after: number }>();
  readonly #queue = new WriteQueue();
  readonly #snapshots: SnapshotBootstrap | undefined;
  readonly #hydration: Pick<HydrationScheduler, 'schedule'>;
  /** Made on the first barrier (most clients never add one). */
  #barriers: Set<() => Promise<void> | undefined> | undefined;

  readonly #options: DriverOptions;
  readonly #transport: DriverTransport;
  readonly #events: DriverEvents;

  constructor(options: DriverOptions, transport: DriverTransport, events: DriverEvents) {
    this.#options = options;
    this.#transport = transport;
    this.#events = events;
    // The checks use WebCrypto (no SHA-256 of our own in the bundle): refuse at construction rather
    // than fail every body later. Only a client that would check something needs it.
    if (!webCrypto() && (options.verifyPayloadHash === 'all' || (options.verifyPayloadHash !== 'off' && (options.snapshot ?? options.hydrator)))) {
      throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTIONS, "invalid option verifyPayloadHash: needs crypto.subtle (WebCrypto), or 'off'", { details: { option: 'verifyPayloadHash' } });
    }
    const queue = this.#queue;
    // A snapshot's outcome arrives outside any reply (a bad page fails its topic): status follows.
    const input = (i: ReplayInput): void => {
      this.#input(i);
      this.#transport.refresh();
    };
    if (options.snapshot !== undefined) {
      this.#snapshots = new SnapshotBootstrap(options, queue, { input, replaced: (topic, head, documents) => this.#replaced(topic, head, documents) });
    }
    if (options.hydrator !== undefined) {
      this.#hydration = new HydrationScheduler(options, queue, {
        metrics: this.metrics,
        held: (topic, key) => this.#docs.get(topic, key),
        hydrated: (doc) => {
          if (this.#state.topics.has(doc.topic)) this.#docs.putAll(doc.topic, [doc]);
          this.#events.hydrated(doc);
          this.#events.changed();
        },
        error: (error) => this.#events.event({ type: 'error', error }),
        halt: (error) => this.#transport.halt(error),
      });
    } else this.#hydration = new MissingHydrator(this.#events, this.metrics);
  }

  // ---- read API ----

  /** Highest applied (durable) watermark of a topic, or undefined. */
  lastApplied(topic: string): number | undefined {
    return this.#state.topics.get(topic)?.lastApplied;
  }

  /** The cursor sent with the topic's latest subscribe (0 when sent without one). */
  requestedAfter(topic: string): number {
    return this.sent.get(topic)?.after ?? 0;
  }

  /** The subscribed topics' states, in subscription order (what they add up to: topic-phases.ts). */
  topics(): IterableIterator<Readonly<TopicState>> {
    return this.#state.topics.values();
  }

  /**
   * True when a duplicate of `topic` can be compared with its first copy (some hash was seen for
   * it): the Khala lane then decodes an already-applied `sync:frame` instead of skipping it (A13).
   */
  carriesHashes(topic: string): boolean {
    return this.#hashes.carriesHashes(topic);
  }

  /** A held document, or undefined. */
  document(topic: string, docKey: string): SyncDocument | undefined {
    return this.#docs.get(topic, docKey);
  }

  /** All held documents of a topic; the same array until the topic changes. */
  documents(topic: string): readonly SyncDocument[] {
    return this.#docs.list(topic);
  }

  // ---- inputs ----

  /** Load stored cursors and documents for `topics` and subscribe them. */
  async subscribe(topics: string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.#state.topics.has(t));
    if (fresh.length === 0) return;
    const loaded = await loadStoredContents(this.#options.store, fresh);
    for (const error of loaded.errors) this.#events.event({ type: 'error', error });
    for (const t of fresh) {
      const docs = loaded.documents.filter((d) => d.topic === t);
      this.#docs.replace(t, docs);
      this.#hashes.documents(t, docs);
    }
    this.#input({ type: 'subscribe', topics: fresh, cursors: loaded.cursors });
    for (const d of loaded.documents) if (d.hydrationPending) this.#hydration.schedule(d);
    this.#events.changed();
  }

  /** Unsubscribe `topics`; their documents and per-topic timings leave memory (the store keeps the documents). */
  unsubscribe(topics: string[]): void {
    this.#input({ type: 'unsubscribe', topics });
    for (const t of topics) {
      this.#docs.drop(t);
      this.#hashes.drop(t);
      this.sent.delete(t);
      delete this.metrics.timeToCaughtUpMs[t];
    }
    this.#events.changed();
  }

  /** The lane joined: subscribe everything. */
  ready(): void {
    this.#input({ type: 'ready' });
  }

  /** The socket is gone (no-op when it never joined). */
  disconnected(): void {
    if (this.#state.joined) this.#input({ type: 'disconnected' });
  }

  subscribed(requestId: number, topics: string[]): void {
    this.#input({ type: 'subscribed', requestId, topics });
  }

  subscribeFailed(requestId: number, topics: string[], error: SyncErrorPayload): void {
    this.#input({ type: 'subscribe_failed', requestId, topics, error });
  }

  serverError(error: SyncErrorPayload): void {
    this.#input({ type: 'server_error', error });
  }

  /** Start R4–R6 for `topic` on demand (SPEC.md R11). */
  resync(topic: string): void {
    this.#input({ type: 'resync', topic });
  }

  /**
   * A frame for `topic` was too large to process: its updates cannot be applied. With a snapshot
   * source the topic is re-bootstrapped so nothing is lost (SPEC.md A12); without one the loss is
   * only reported, since replaying would deliver the same oversized batch again.
   */
  oversized(topic: string): void {
    if (this.#options.snapshot !== undefined && this.#state.topics.has(topic)) this.resync(topic);
  }

  /** Apply one batch: plan, commit atomically, then advance the machine. Resolves when durable. */
  async applyBatch(batch: SyncBatch): Promise<void> {
    const check = this.#options.check;
    const before = this.#state.topics.get(batch.topic);
    // App code (schemas) never sees a batch the plan drops whole (SPEC.md A6).
    const planned = !droppedWhole(before);
    const refused = check && planned ? await refusedUpdates(check, batch, before?.lastApplied) : undefined;
    const hashing = this.#options.verifyPayloadHash === 'all' && planned ? hashMismatches(batch, before?.lastApplied) : undefined;
    const mismatched = hashing && (await hashing);
    // Read again: the app may have unsubscribed or resynced the topic while schemas or hashes ran. The
    // cursor only moves up meanwhile, so every update still new was checked; the plan reports the
    // refusals it passes, none of a batch it drops.
    const t = this.#state.topics.get(batch.topic);
    if (t === undefined) {
      this.#input({ type: 'batch_unsubscribed', topic: batch.topic });
      return;
    }
    const plan = planBatch(t, batch, (topic, key) => this.#docs.get(topic, key), { mismatched, refused, history: this.#hashes });
    for (const d of plan.diagnostics) this.#events.event({ type: 'error', error: d });
    this.#hashes.noteReported(batch.topic, plan.payloadConflicts);
    this.metrics.payloadConflicts += plan.payloadConflicts.length;
    const commit = plan.commit;
    if (commit !== undefined) {
      if (!(await commitBatch(this.#queue, this.#options.store, commit, this.#options.commitTiming, this.#events, this.#transport))) return;
      this.#docs.putAll(commit.topic, commit.documents);
      this.#hashes.record(commit.topic, plan.applied);
    }
    this.metrics.duplicatesDropped += plan.duplicates;
    this.metrics.gapsSeen += plan.gaps;
    this.metrics.applied += plan.applied.length;
    this.metrics.conflicts += plan.conflicts;
    const replayed = !t.caughtUp;
    const effects = this.#step({ type: 'batch_committed', topic: batch.topic, lastApplied: commit?.watermark ?? t.lastApplied, replayComplete: batch.replayComplete, head: batch.headWatermark, cursorAheadReported: plan.cursorAheadReported });
    // The cursor is already advanced (getWatermark agrees with the event), but the updates are
    // reported before any caught-up the batch causes, so a listener that stops at caught-up has
    // seen every update up to it.
    if (plan.applied.length > 0) this.#events.applied({ topic: batch.topic, updates: plan.applied, replayed });
    for (const e of effects) this.#run(e);
    if (plan.applied.length > 0) this.#events.changed();
    for (const d of plan.hydrate) this.#hydration.schedule(d);
    if (plan.applied.length > 0 && this.#barriers?.size) await Promise.all([...this.#barriers].map((wait) => wait()));
  }

  /**
   * Let a consumer of `applied` batches hold the apply chain (docs/architecture.md, Backpressure):
   * after each batch that applied updates, `applyBatch` resolves only once the promise `wait()`
   * returns has settled (`undefined`: no wait). The next inbound frame is not handled meanwhile, so
   * frames pile up against `maxInboundBytes` and the socket is paused, as behind a slow store.
   * `wait` must not reject. Returns the function that removes the barrier. Default: none.
   */
  addApplyBarrier(wait: () => Promise<void> | undefined): () => void {
    (this.#barriers ??= new Set()).add(wait);
    return () => void this.#barriers?.delete(wait);
  }

  /** Stop timers and in-flight HTTP work. */
  dispose(): void {
    this.#queue.dispose();
  }

  /** Resolves when every queued store write has finished. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  // ---- effects ----

  #input(input: ReplayInput): void {
    for (const e of this.#step(input)) this.#run(e);
  }

  /** Advance the state now; return the effects for the caller to run when it is ready. */
  #step(input: ReplayInput): ReplayEffect[] {
    const { state, effects } = transition(this.#state, input, { hasSnapshotSource: this.#options.snapshot !== undefined });
    this.#state = state;
    return effects;
  }

  #run(e: ReplayEffect): void {
    switch (e.type) {
      case 'subscribe': {
        const id = this.#transport.subscribe(e.topics, e.resumeAfter);
        if (id === undefined) break;
        const now = Date.now();
        for (const t of e.topics) {
          this.sent.set(t, { at: now, after: e.resumeAfter[t] ?? 0 });
        }
        this.#input({ type: 'subscribe_sent', requestId: id, topics: e.topics });
        break;
      }
      case 'unsubscribe':
        this.#transport.unsubscribe(e.topics);
        break;
      case 'fetch_snapshot': {
        const snapshots = this.#snapshots;
        if (snapshots === undefined) break;
        if (e.delayMs > 0) this.#queue.later(e.delayMs, () => void snapshots.start(e.topic));
        else void snapshots.start(e.topic);
        break;
      }
      case 'store_snapshot':
        void this.#snapshots?.commit(e.topic, e.head);
        break;
      case 'reconnect':
        this.#transport.reconnect(e.afterMs, e.reason);
        break;
      case 'stop':
        this.#transport.halt(e.error);
        break;
      case 'emit':
        countEvent(this.metrics, e.event, this.sent);
        this.#events.event(e.event);
        this.#events.changed();
        break;
    }
  }

  /** A snapshot commit stored `documents` as the topic's whole content. */
  #replaced(topic: string, head: number, documents: SyncDocument[]): void {
    if (!this.#state.topics.has(topic)) return;
    this.#docs.replace(topic, documents);
    this.#hashes.documents(topic, documents);
    this.#input({ type: 'snapshot_applied', topic, head, documents: documents.length });
    this.#events.changed();
  }
}
