import { firstHashMismatch } from '../bootstrap/page-hashes.js';
import type { Hydrator, SnapshotPage, SnapshotSource } from '../bootstrap/snapshot-source.js';
import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import { StoreError } from '../errors/store-error.js';
import { verifyPayloadHash } from '../hash/payload-hash.js';
import type { AppliedBatch, ReplayEffect, ReplayEvent, ReplayInput } from '../replay/events.js';
import { planBatch } from '../replay/plan-batch.js';
import { createReplayState, type ReplayState, type TopicState } from '../replay/state.js';
import { transition } from '../replay/transitions.js';
import type { SyncBatch, SyncDocument } from '../replay/types.js';
import type { SyncStore } from '../watermarks/store.js';
import { DocumentCache } from './document-cache.js';
import { emptyMetrics, type SyncMetrics } from './metrics.js';

/** What the driver needs from the connection and the facade. */
export interface DriverHooks {
  /** Send a subscribe; returns its request id, or undefined when not connected. */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number | undefined;
  unsubscribe(topics: string[]): void;
  reconnect(afterMs: number | undefined, reason: string): void;
  stop(error: KhalaSyncError): void;
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
  verifyHashes: boolean;
  token: () => Promise<string>;
}

const HYDRATE_ATTEMPTS = 5;

/**
 * Runs the pure replay machine against real storage: feeds it inputs, executes its effects, and
 * keeps every store write on one queue so a batch, a cursor deletion and a snapshot never race.
 */
export class ReplayDriver {
  state: ReplayState = createReplayState();
  readonly docs = new DocumentCache();
  readonly metrics: SyncMetrics = emptyMetrics();
  private readonly subscribedAt = new Map<string, number>();
  private readonly requested = new Map<string, number>();
  private writes: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly hydrating = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly options: DriverOptions,
    private readonly hooks: DriverHooks,
  ) {}

  /** Load stored cursors and documents for `topics` and start wanting them. */
  async want(topics: string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.state.topics.has(t));
    if (fresh.length === 0) return;
    const loaded = await this.options.store.load(fresh);
    for (const t of fresh) this.docs.replace(t, loaded.documents.filter((d) => d.topic === t));
    this.input({ type: 'desire', topics: fresh, cursors: loaded.watermarks });
    for (const d of loaded.documents) if (d.hydrationPending) this.scheduleHydration(d, 0);
    this.hooks.changed();
  }

  /** Stop wanting `topics`; their documents leave the cache (the store keeps them). */
  unwant(topics: string[]): void {
    this.input({ type: 'undesire', topics });
    for (const t of topics) this.docs.drop(t);
    this.hooks.changed();
  }

  topic(topic: string): TopicState | undefined {
    return this.state.topics.get(topic);
  }

  /** The cursor sent with the topic's latest subscribe (0 when sent without one). */
  requestedAfter(topic: string): number {
    return this.requested.get(topic) ?? 0;
  }

  lastApplied(topic: string): number | undefined {
    return this.state.topics.get(topic)?.lastApplied;
  }

  /** Feed one input to the machine and run its effects. */
  input(input: ReplayInput): void {
    for (const e of this.step(input)) this.run(e);
  }

  /** Advance the state now; return the effects for the caller to run when it is ready. */
  private step(input: ReplayInput): ReplayEffect[] {
    const { state, effects } = transition(this.state, input, { hasSnapshotSource: this.options.snapshot !== undefined });
    this.state = state;
    return effects;
  }

  /** Apply one batch: plan, commit atomically, then advance the machine. Resolves when durable. */
  async applyBatch(batch: SyncBatch): Promise<void> {
    const t = this.state.topics.get(batch.topic);
    const plan = planBatch(t, batch, (topic, key) => this.docs.get(topic, key), { verifyHashes: this.options.verifyHashes });
    if (plan.outcome === 'unsubscribed') {
      this.hooks.event({ type: 'error', error: new KhalaSyncError('protocol', ErrorCodes.UNSUBSCRIBED_TOPIC, `batch for unsubscribed topic ${batch.topic} ignored`, { topic: batch.topic }) });
      return;
    }
    for (const d of plan.diagnostics) this.hooks.event({ type: 'error', error: d });
    if (t !== undefined) {
      const ahead = t.aheadReported || plan.diagnostics.some((d) => d.code === ErrorCodes.CURSOR_AHEAD_OF_HEAD);
      const head = batch.headWatermark;
      const headSeen = head !== undefined && (t.headSeen === undefined || head > t.headSeen) ? head : t.headSeen;
      if (ahead !== t.aheadReported || headSeen !== t.headSeen) this.state.topics.set(t.topic, { ...t, aheadReported: ahead, headSeen });
    }
    if (plan.commit !== undefined) {
      const commit = plan.commit;
      try {
        await this.write(() => this.options.store.commit(commit));
      } catch (err) {
        // Nothing advanced: drop the connection so the server re-delivers from the durable cursor.
        this.hooks.event({ type: 'error', error: asStoreError(err, batch.topic) });
        this.hooks.reconnect(undefined, 'store_failed');
        return;
      }
      for (const d of commit.documents) this.docs.put(d);
    }
    this.metrics.duplicatesDropped += plan.duplicates;
    this.metrics.gapsSeen += plan.gaps;
    this.metrics.applied += plan.applied.length;
    const replayed = !(t?.caughtUp ?? false);
    const effects =
      plan.outcome === 'apply' || batch.replayComplete
        ? this.step({ type: 'batch_committed', topic: batch.topic, lastApplied: plan.commit?.watermark ?? t?.lastApplied, replayComplete: batch.replayComplete })
        : [];
    // The cursor is already advanced (getWatermark agrees with the event), but the updates are
    // reported before any caught-up the batch causes, so a listener that stops at caught-up has
    // seen every update up to it.
    if (plan.applied.length > 0) this.hooks.applied({ topic: batch.topic, updates: plan.applied, replayed });
    for (const e of effects) this.run(e);
    if (plan.applied.length > 0) this.hooks.changed();
    for (const d of plan.hydrate) this.scheduleHydration(d, 0);
  }

  /**
   * A frame for `topic` was too large to process: its updates cannot be applied. With a snapshot
   * source the topic is re-bootstrapped so nothing is lost (SPEC.md A12); without one the loss is
   * only reported, since replaying would deliver the same oversized batch again.
   */
  oversized(topic: string): void {
    if (this.options.snapshot !== undefined && this.state.topics.has(topic)) this.input({ type: 'resync', topic });
  }

  /** Stop timers and in-flight HTTP work. */
  dispose(): void {
    this.abort.abort(new KhalaSyncError('client', ErrorCodes.CLIENT_CLOSED, 'client closed'));
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when every queued store write has finished. */
  flush(): Promise<void> {
    return this.writes;
  }

  private count(event: ReplayEvent): void {
    if (event.type === 'stale') this.metrics.staleRecoveries++;
    else if (event.type === 'bootstrap') this.metrics.bootstraps++;
    else if (event.type === 'caught_up') {
      const at = this.subscribedAt.get(event.topic);
      if (at !== undefined) this.metrics.timeToCaughtUpMs[event.topic] = Date.now() - at;
    }
  }

  private write(op: () => Promise<void>): Promise<void> {
    const next = this.writes.then(op);
    this.writes = next.catch(() => undefined);
    return next;
  }

  private later(ms: number, fn: () => void): void {
    if (this.abort.signal.aborted) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private run(e: ReplayEffect): void {
    switch (e.type) {
      case 'subscribe': {
        const id = this.hooks.subscribe(e.topics, e.resumeAfter);
        if (id === undefined) break;
        const now = Date.now();
        for (const t of e.topics) {
          this.subscribedAt.set(t, now);
          this.requested.set(t, e.resumeAfter[t] ?? 0);
        }
        this.input({ type: 'subscribe_sent', requestId: id, topics: e.topics });
        break;
      }
      case 'unsubscribe':
        this.hooks.unsubscribe(e.topics);
        break;
      case 'fetch_snapshot':
        if (e.delayMs > 0) this.later(e.delayMs, () => void this.bootstrap(e.topic));
        else void this.bootstrap(e.topic);
        break;
      case 'reconnect':
        this.hooks.reconnect(e.afterMs, e.reason);
        break;
      case 'stop':
        this.hooks.stop(e.error);
        break;
      case 'emit':
        this.count(e.event);
        this.hooks.event(e.event);
        this.hooks.changed();
        break;
    }
  }

  /** Fetch every page, then replace the topic's documents and cursor in one transaction (§7.5.2). */
  private async bootstrap(topic: string): Promise<void> {
    const source = this.options.snapshot;
    if (source === undefined || this.abort.signal.aborted) return;
    const docs: SyncDocument[] = [];
    let head: number | undefined;
    // Hash checks run as each page arrives when the source says so (onPage), overlapping the
    // network instead of following it; a page's verdict is reused when it is yielded.
    const checked = new WeakMap<SnapshotPage, number>();
    const verify = this.options.verifyHashes;
    const onPage = verify ? (page: SnapshotPage) => void checked.set(page, firstHashMismatch(page)) : undefined;
    try {
      for await (const page of source(topic, { signal: this.abort.signal, token: this.options.token, onPage })) {
        head = page.headWatermark;
        const bad = verify ? (checked.get(page) ?? firstHashMismatch(page)) : -1;
        if (bad >= 0) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot document ${page.docs[bad]!.docKey} fails its payload_hash`, { topic });
        for (const d of page.docs) {
          docs.push({ topic, docKey: d.docKey, docVersion: d.docVersion, payload: d.payload, payloadHash: d.payloadHash, watermark: page.headWatermark, hydrationPending: false });
        }
      }
      if (head === undefined) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot of ${topic} had no page`, { topic });
      const h = head;
      await this.write(() => this.options.store.replaceTopic(topic, docs, h));
    } catch (err) {
      if (this.abort.signal.aborted) return;
      const error = isKhalaSyncError(err) ? err : new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, String(err), { topic, retryable: true, cause: err });
      const status = error.details['status'];
      const fallback = error.retryable ? 'retry' : status === 404 ? 'replay' : 'fail';
      this.input({ type: 'snapshot_failed', topic, error, fallback });
      return;
    }
    if (!this.state.topics.has(topic)) return;
    this.docs.replace(topic, docs);
    this.input({ type: 'snapshot_applied', topic, head, documents: docs.length });
    this.hooks.changed();
  }

  private scheduleHydration(doc: SyncDocument, attempt: number): void {
    const hydrator = this.options.hydrator;
    const key = `${doc.topic}\u0000${doc.docKey}`;
    if (hydrator === undefined || this.hydrating.has(key) || this.abort.signal.aborted) return;
    this.hydrating.add(key);
    const run = async (): Promise<void> => {
      try {
        const got = await hydrator(doc.topic, doc.docKey, { signal: this.abort.signal, token: this.options.token });
        const hash = got.payloadHash ?? doc.payloadHash;
        if (hash && this.options.verifyHashes && verifyPayloadHash(got.payload, hash) === 'mismatch') {
          throw new SnapshotError(ErrorCodes.PAYLOAD_HASH_MISMATCH, `hydrated ${doc.docKey} fails its payload_hash`, { topic: doc.topic, retryable: true });
        }
        const cached = this.docs.get(doc.topic, doc.docKey);
        if (cached !== undefined && got.docVersion < cached.docVersion) return; // older than what we hold
        const next: SyncDocument = { ...doc, docVersion: got.docVersion, payload: got.payload, payloadHash: hash, watermark: cached?.watermark ?? doc.watermark, hydrationPending: false };
        await this.write(() => this.options.store.putHydrated(next));
        if (this.state.topics.has(doc.topic)) this.docs.put(next);
        this.hooks.hydrated(next);
        this.hooks.changed();
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const error = isKhalaSyncError(err) ? err : new SnapshotError(ErrorCodes.HYDRATION_FAILED, String(err), { topic: doc.topic, cause: err });
        this.hooks.event({ type: 'error', error: new SnapshotError(ErrorCodes.HYDRATION_FAILED, `hydration of ${doc.docKey} failed: ${error.message}`, { topic: doc.topic, retryable: attempt + 1 < HYDRATE_ATTEMPTS }) });
        if (attempt + 1 < HYDRATE_ATTEMPTS) this.later(Math.min(500 * 2 ** attempt, 8000), () => this.scheduleHydration(doc, attempt + 1));
      } finally {
        this.hydrating.delete(key);
      }
    };
    void run();
  }
}

function asStoreError(err: unknown, topic: string): KhalaSyncError {
  if (isKhalaSyncError(err)) return err;
  return new StoreError(ErrorCodes.STORE_FAILED, `store write failed: ${err instanceof Error ? err.message : String(err)}`, { topic, retryable: true, cause: err });
}
