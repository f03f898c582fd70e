import { Emitter } from '../util/emitter.js';
import type { SyncClientEvents, SyncSnapshot } from './client-events.js';
import type { ClientInfo } from '../adapters/lane.js';
import { khalaLane } from '../adapters/khala/khala-lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { AppliedBatch } from '../replay/events.js';
import type { TopicPhase } from '../replay/state.js';
import type { SyncStore } from '../watermarks/store.js';
import { toStoreError } from '../watermarks/store-guards.js';
import { wireClient } from './client-wiring.js';
import type { Connection } from './connection.js';
import type { ProbeResult } from './liveness-probe.js';
import type { SyncMetrics } from './metrics.js';
import type { AttachedMetrics } from '../observability/client-metrics.js';
import type { ClientMetricsRegistry } from '../observability/client-registry.js';
import { CLIENT_DEFAULTS, type ClientStatus, type SyncClientOptions, type UntypedPayloads } from './options.js';
import type { PayloadOf, TopicPayloads, TypedDocument } from './topic-schemas.js';
import type { ReplayDriver } from './replay-driver.js';
import { raceAbort, throwIfAborted, type WaitOptions } from './abort.js';
import { LiveWaits } from './when-live.js';
import { UpdatesIterator, type UpdatesOptions } from './updates-iterator.js';
import { asClientError, clientClosedError, handled, insecureUrlError } from './client-guards.js';
import { firstInsecureCredentialUrl, validateOptions } from './validate-options.js';
import { SecretScrubber } from '../errors/secret-scrubber.js';
import { emptyRecord } from '../util/records.js';

export type { SyncClientEvents, SyncSnapshot } from './client-events.js';

/**
 * The khala-sync client: subscribe to topics and hold their documents, applied exactly once, in
 * order, durably, across reconnects, restarts and stale cursors.
 */
export class SyncClient<T extends TopicPayloads = UntypedPayloads> extends Emitter<SyncClientEvents> {
  private readonly store: SyncStore;
  private readonly driver: ReplayDriver;
  private readonly connection: Connection;
  /** The `metrics` plug-in, when the app gave one. */
  private readonly plugin: AttachedMetrics | undefined;
  /** Made on the first `onChange` listener (an idle client may have none). */
  private changeListeners: Set<() => void> | undefined;
  private readonly scrubber = new SecretScrubber();
  private readonly options: SyncClientOptions<T>;
  private readonly clientInfo: ClientInfo;
  private readonly live: LiveWaits;
  private snapshot: SyncSnapshot | undefined;
  private revision = 0;
  private ready: Promise<void> = Promise.resolve();
  private closed = false;
  /** The one `close()` run, shared by every call. */
  private closing: Promise<void> | undefined;
  /** Aborted by `close()`: ends every token request in flight and refuses new ones. */
  private readonly lifetime = new AbortController();

  /** `T` (topic → payload type) is given, inferred from `options.schemas`, or every topic `JsonValue`. */
  constructor(options: SyncClientOptions<T>) {
    super();
    const lane = options?.lane ?? khalaLane;
    const clientInfo: ClientInfo = { ...CLIENT_DEFAULTS.clientInfo, ...options?.clientInfo };
    validateOptions(options, lane, clientInfo);
    this.options = options;
    this.clientInfo = clientInfo;
    [this.store, this.connection, this.plugin] = wireClient(this, options, { lane, clientInfo, scrubber: this.scrubber, lifetime: this.lifetime, changed: () => this.changed() });
    this.driver = this.connection.driver;
    this.live = new LiveWaits(this, this.driver, () => this.ready, () => this.closed);
    if (options.topics?.length) this.ready = handled(this.driver.subscribe(options.topics));
    if (options.autoConnect ?? CLIENT_DEFAULTS.autoConnect) this.connect().catch((err: unknown) => this.emit('error', asClientError(err)));
  }

  /**
   * Every event leaves through here: errors, status reasons, stale reasons and telemetry are
   * scrubbed of the exact tokens this client sent (a server may echo them back), then emitted.
   */
  override emit<T extends keyof SyncClientEvents>(event: T, ...args: Parameters<SyncClientEvents[T]>): boolean {
    return super.emit(event, ...(this.scrubber.eventArgs(event, args) as Parameters<SyncClientEvents[T]>));
  }

  /**
   * `'SyncClient'`, so `String(client)` is `[object SyncClient]`. It also keeps the client out of
   * deep reactive proxies (Vue's `reactive()`/`ref()` proxy only objects tagged `Object` and hand
   * any other back as is): its internals hold `#private` fields, which a proxy standing in for
   * `this` cannot read. The client's own members stay TypeScript-private, so a plain `Proxy`
   * around it keeps working too.
   */
  get [Symbol.toStringTag](): string {
    return 'SyncClient';
  }

  /** Current connection status. */
  get status(): ClientStatus {
    return this.connection.status;
  }

  /**
   * Open the connection (after loading stored cursors); resolves once dialling started, not when
   * live (see {@link whenLive}). Safe to call again after a terminal status. `signal` (default none)
   * ends the wait for stored cursors with an `aborted` error, and then nothing is dialled.
   */
  async connect(options: WaitOptions = {}): Promise<void> {
    if (this.closed) throw clientClosedError();
    try {
      await raceAbort(this.ready, options.signal);
    } catch (err) {
      throw this.scrubber.error(asClientError(err));
    }
    if (this.closed) return; // closed while the cursors were loading: a closed client never dials
    const insecure = this.options.allowInsecure ? undefined : firstInsecureCredentialUrl(this.options, this.options.lane ?? khalaLane, this.clientInfo);
    if (insecure !== undefined) {
      this.emit('error', insecureUrlError(insecure));
      this.connection.stop('closed', ErrorCodes.INSECURE_TRANSPORT);
      return;
    }
    this.connection.start();
  }

  /**
   * Add topics: their cursors and documents are loaded from the store first, then they are
   * subscribed (at once when joined, else at the next join). Resolves when loaded; after `close()`
   * rejects with `client_closed`. Listen for changes with {@link onChange} or `on('updates', …)`.
   */
  async subscribe(topics: string | string[], options: WaitOptions = {}): Promise<void> {
    const { signal } = options;
    if (this.closed) throw clientClosedError(); // its store is closed: nothing to load from
    throwIfAborted(signal);
    const list = Array.isArray(topics) ? topics : [topics];
    // A failed earlier load does not poison later subscribes; each caller sees its own outcome. A
    // signal that aborts before this load starts leaves the topics out; once started, it completes.
    this.ready = handled(this.ready.catch(() => undefined).then(() => (signal?.aborted ? undefined : this.driver.subscribe(list))));
    return raceAbort(this.ready, signal);
  }

  /**
   * Resolves when `topics` (default: every subscribed topic, and the connection) are caught up and
   * live. Rejects with the typed error when one of them fails (e.g. `forbidden_topic`), when the
   * client stops (`upgrade_required`, `reauth_required`, `insecure_transport`, `client_closed`...),
   * with `unsubscribed_topic` for a topic not subscribed, and with `aborted` when `signal` (default
   * none) aborts. Reconnects in between are waited out. Call `connect()` for it to ever resolve.
   */
  whenLive(topics?: string | readonly string[], options: WaitOptions = {}): Promise<void> {
    return this.live.wait(typeof topics === 'string' ? [topics] : topics, options.signal);
  }

  /**
   * Applied batches as an async iterator: `for await (const batch of client.updates({ topics, signal }))`.
   * At most `bufferSize` batches (default 16) wait for the consumer; then the client stops applying
   * until it catches up, and the inbound budget pauses the socket. `break` ends it; an abort rejects
   * the pending `next()` with `aborted`; `close()` ends it once the buffered batches are taken.
   */
  updates(options: UpdatesOptions = {}): AsyncIterableIterator<AppliedBatch, undefined> {
    return new UpdatesIterator(this, this.driver, () => this.closed, options);
  }

  /**
   * Check the socket after the app wakes (see `khala-sync/browser`): send a heartbeat and resolve
   * `alive` if any frame arrives within `timeoutMs` (default 3000), else `dead` (the socket is a
   * zombie and is replaced at once), or `not_connected` when there is no joined socket to probe.
   */
  probeConnection(timeoutMs = 3000): Promise<ProbeResult> {
    return this.connection.probe(timeoutMs);
  }

  /** Tell the client whether the network is up (default up). While down, reconnect attempts wait; when it is back, the client dials at once. */
  setNetworkAvailable(available: boolean): void {
    this.connection.holdReconnects(!available);
  }

  /**
   * Stop receiving topics. Their stored state is kept. `signal` (default none) aborts the wait for
   * pending loads; then nothing changes. After `close()`: `client_closed`.
   */
  async unsubscribe(topics: string | string[], options: WaitOptions = {}): Promise<void> {
    if (this.closed) throw clientClosedError();
    // A failed earlier load is that subscribe's outcome, not this call's (the topic stayed out).
    await raceAbort(this.ready.catch(() => undefined), options.signal);
    if (this.closed) throw clientClosedError();
    const list = Array.isArray(topics) ? topics : [topics];
    this.driver.unsubscribe(list);
    this.plugin?.unsubscribed(list);
  }

  /** Force a snapshot bootstrap (or a cursor-less replay) of a topic, e.g. after `cursor_ahead_of_head`. Does nothing after `close()`. */
  resync(topic: string): void {
    if (!this.closed) this.driver.resync(topic);
  }

  /** A document by key, or undefined. Treat the result as read-only. */
  getDocument<K extends string>(topic: K, docKey: string): TypedDocument<PayloadOf<T, K>> | undefined {
    return this.driver.document(topic, docKey) as TypedDocument<PayloadOf<T, K>> | undefined;
  }

  /** All documents of a topic; the same array until the topic changes. */
  listDocuments<K extends string>(topic: K): readonly TypedDocument<PayloadOf<T, K>>[] {
    return this.driver.documents(topic) as readonly TypedDocument<PayloadOf<T, K>>[];
  }

  /** Highest applied watermark of a topic, or undefined. */
  getWatermark(topic: string): number | undefined {
    return this.driver.lastApplied(topic);
  }

  /** A copy of the client's counters (duplicates dropped, gaps, recoveries, reconnects, time to caught-up). */
  getMetrics(): SyncMetrics {
    const m = this.driver.metrics;
    const c = this.connection.metrics;
    return { ...m, ...c, framesRejectedByCode: Object.assign(emptyRecord<number>(), c.framesRejectedByCode), timeToCaughtUpMs: Object.assign(emptyRecord<number>(), m.timeToCaughtUpMs) };
  }

  /**
   * The client's metrics registry (names, units and labels in docs/observability.md) and health
   * (`health()`, `onHealth(listener)`) when the `metrics` option was given `clientMetrics()`; else
   * undefined. Read it with `snapshot()`, export it with `renderPrometheus` or `bindOpenTelemetry`
   * (khala-sync/observability).
   */
  get metrics(): ClientMetricsRegistry | undefined {
    return this.plugin?.registry;
  }

  /**
   * Call `listener` (no arguments) after every change of status, topic state or documents; returns
   * its removal. Bound, so `useSyncExternalStore(client.onChange, client.getSnapshot)` works.
   */
  onChange = (listener: () => void): (() => void) => {
    (this.changeListeners ??= new Set()).add(listener);
    return () => void this.changeListeners?.delete(listener);
  };

  /** Immutable status/topic view for `useSyncExternalStore(client.onChange, client.getSnapshot)`. */
  getSnapshot = (): SyncSnapshot => {
    if (this.snapshot === undefined) {
      const topics: Record<string, { phase: TopicPhase; watermark: number | undefined }> = emptyRecord();
      for (const t of this.driver.topics()) topics[t.topic] = { phase: t.phase, watermark: t.lastApplied };
      this.snapshot = Object.freeze({ status: this.connection.status, revision: this.revision, topics: Object.freeze(topics) });
    }
    return this.snapshot;
  };

  /**
   * Close the socket, wait for pending writes, and close the store. Every call resolves once all
   * of that is done (a second call shares the first one's wait).
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.lifetime.abort(clientClosedError());
    this.connection.stop('closed');
    this.driver.dispose();
    await this.ready.catch(() => undefined);
    await this.driver.flush();
    try {
      await this.store.close();
    } catch (err) {
      // A custom store's close may throw anything: typed, and only once the socket is released.
      throw toStoreError(this.store.kind, 'close', err);
    } finally {
      await this.connection.released(); // no socket outlives close() (a stalled peer gets a short grace)
    }
  }

  private changed(): void {
    this.revision++;
    this.snapshot = undefined;
    if (this.changeListeners !== undefined) for (const l of this.changeListeners) l();
  }
}
