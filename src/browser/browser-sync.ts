import { Emitter } from '../util/emitter.js';
import type { ClientStatus, SyncClientOptions } from '../client/options.js';
import { SyncClient } from '../client/sync-client.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncDocument } from '../model/types.js';
import type { AppliedBatch } from '../replay/events.js';
import type { TopicPhase } from '../replay/state.js';
import { createIndexedDbStore } from '../watermarks/indexeddb-store.js';
import { FollowerView } from './follower-view.js';
import { createLeaderElection, type LeaderElection, type TabRole } from './leader-election.js';
import { windowLifecycle, type LifecycleSource } from './page-lifecycle.js';
import type { RelayedTopic, TabMessage } from './tab-messages.js';
import { attachWakeController, type WakeController } from './wake-controller.js';
import { emptyRecord, hasOwn, ownValue, setOwn } from '../util/records.js';

/** Options of {@link BrowserSync}. */
export interface BrowserSyncOptions {
  /** The client's options, without `store` (IndexedDB `dbName` is used) or `autoConnect`. `topics` is required. */
  client: Omit<SyncClientOptions, 'store' | 'autoConnect'> & { topics: string[] };
  /** IndexedDB database shared by the tabs. Default `'khala-sync'`. */
  dbName?: string;
  /** Default true: one socket for all tabs of the origin. `false` opts out: this tab syncs on its own (single-tab apps). */
  multiTab?: boolean;
  /** Election mechanism: `'auto'` (Web Locks, else a BroadcastChannel lease), `'web-locks'`, `'lease'`. Default `'auto'`. */
  election?: 'auto' | 'web-locks' | 'lease';
  /** Lifecycle signals. Default `windowLifecycle()`; pass `hostLifecycle()` from a desktop/iOS host, or `false` for none. */
  lifecycle?: LifecycleSource | false;
  /** How long a wake probe waits for the heartbeat answer, ms. Default 3000. */
  probeTimeoutMs?: number;
}

/** This tab's part: `starting`, `leader` (owns the socket and the writes), `follower`, or `single` (`multiTab: false`). */
export type BrowserSyncRole = 'starting' | TabRole | 'single';

/** Events of {@link BrowserSync}. */
export interface BrowserSyncEvents {
  /** New updates for this tab's view; `relayed` is true when another tab applied them. Never twice for one update. */
  updates: (batch: AppliedBatch, info: { relayed: boolean }) => void;
  /** The connection status changed (a follower relays the leader's). */
  status: (status: ClientStatus) => void;
  /** This tab's role changed (elected, took over, resigned). */
  role: (role: BrowserSyncRole) => void;
  /** The lifecycle source said the network went away (false) or came back (true). */
  network: (online: boolean) => void;
  /** Server head watermarks from a heartbeat (relayed to followers too). */
  heads: (heads: Record<string, number>) => void;
  /** Errors of this tab's client, or of the follower's view of the shared store. */
  error: (error: KhalaSyncError) => void;
  /** Anything visible changed (documents, status, role, phases): re-render. */
  change: () => void;
}

/**
 * khala-sync for browser tabs: the page lifecycle (wake probes, offline hold), one socket for all
 * tabs of an origin (leader election; followers read IndexedDB and hear the leader over
 * BroadcastChannel) and a takeover when the leader goes. See docs/browser.md.
 */
export class BrowserSync extends Emitter<BrowserSyncEvents> {
  /** This tab's part; `starting` until `start()` settles it. */
  role: BrowserSyncRole = 'starting';
  /** The connection status, the leader's as relayed on a follower; `idle` before `start()`. */
  status: ClientStatus = 'idle';
  /** Whether the network is up, as the lifecycle source says (read at start, then from its signals); true without one. */
  online = true;
  private client: SyncClient | undefined;
  private wake: WakeController | undefined;
  private follower: FollowerView | undefined;
  private channel: BroadcastChannel | undefined;
  private election: LeaderElection | undefined;
  private relayedTopics: Record<string, RelayedTopic> = emptyRecord();
  private heads: Record<string, number> = emptyRecord();
  private readonly lifecycle: LifecycleSource | undefined;
  private readonly stops: Array<() => void> = [];
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly dbName: string;

  constructor(private readonly options: BrowserSyncOptions) {
    super();
    this.dbName = options.dbName ?? 'khala-sync';
    this.lifecycle = options.lifecycle === false ? undefined : (options.lifecycle ?? windowLifecycle());
  }

  /** Join the tabs (or start alone with `multiTab: false`). Resolves once this tab shows stored documents. */
  start(): Promise<void> {
    if (this.lifecycle !== undefined) {
      this.online = this.lifecycle.isOnline?.() ?? true;
      this.stops.push(this.lifecycle.subscribe((signal, cause) => this.onLifecycle(signal, cause)));
    }
    if (this.options.multiTab === false) return this.enqueue(() => this.lead('single'));
    const name = `khala-sync:${this.dbName}`;
    this.channel = new BroadcastChannel(`${name}:tabs`);
    this.channel.onmessage = (e: MessageEvent<TabMessage>) => this.onMessage(e.data);
    this.election = createLeaderElection({ name, mechanism: this.options.election });
    const shown = this.enqueue(() => this.follow());
    this.election.start((role) => void this.enqueue(() => (role === 'leader' ? this.lead('leader') : this.follow())));
    return shown;
  }

  /** Documents of `topic` in this tab's view. */
  listDocuments(topic: string): readonly SyncDocument[] {
    return this.client?.listDocuments(topic) ?? this.follower?.list(topic) ?? [];
  }

  /** One document, or undefined. */
  getDocument(topic: string, docKey: string): SyncDocument | undefined {
    return this.client?.getDocument(topic, docKey) ?? this.follower?.get(topic, docKey);
  }

  /** Highest watermark of `topic` in this tab's view. */
  getWatermark(topic: string): number | undefined {
    return this.client?.getWatermark(topic) ?? this.follower?.watermark(topic);
  }

  /** Replay phase of `topic` (the leader's, in a follower). */
  topicPhase(topic: string): TopicPhase | undefined {
    return this.client?.getSnapshot().topics[topic]?.phase ?? ownValue(this.relayedTopics, topic)?.phase;
  }

  /** Server head watermarks from the latest heartbeat. */
  serverHeads(): Readonly<Record<string, number>> {
    return this.heads;
  }

  /** Leave the tabs (a leader hands over), close the socket and the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    this.election?.close();
    await this.enqueue(() => this.dropClient());
    this.channel?.close();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(() => (this.closed && this.client === undefined ? undefined : step()));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setRole(role: BrowserSyncRole): void {
    this.role = role;
    this.emit('role', role);
    this.emit('change');
  }

  private async lead(role: 'leader' | 'single'): Promise<void> {
    if (this.closed || this.client !== undefined) return;
    this.follower = undefined;
    const client = new SyncClient({ ...this.options.client, store: createIndexedDbStore({ dbName: this.dbName }) });
    this.client = client;
    client.on('updates', (batch) => {
      this.post({ kind: 'applied', batch });
      this.emit('updates', batch, { relayed: false });
      this.emit('change');
    });
    client.on('status', (status) => {
      this.status = status;
      this.emit('status', status);
    });
    client.on('heartbeat', (heads) => this.setHeads(heads));
    client.on('error', (e) => this.emit('error', e));
    client.onChange(() => {
      this.postState();
      this.emit('change');
    });
    if (this.lifecycle !== undefined) this.wake = attachWakeController(client, this.lifecycle, { probeTimeoutMs: this.options.probeTimeoutMs });
    this.setRole(role);
    await client.connect();
  }

  private async follow(): Promise<void> {
    if (this.closed) return;
    await this.dropClient();
    const view = new FollowerView(this.options.client.topics, (batch) => {
      this.emit('updates', batch, { relayed: true });
      this.emit('change');
    });
    this.follower = view;
    const store = createIndexedDbStore({ dbName: this.dbName });
    try {
      await view.load(store);
    } finally {
      await store.close();
    }
    this.post({ kind: 'hello' });
    if (this.role !== 'follower') this.setRole('follower');
    else this.emit('change');
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    this.wake?.detach();
    this.wake = undefined;
    await client.close();
  }

  private onMessage(msg: TabMessage): void {
    if (msg.kind === 'hello') {
      if (this.client !== undefined) this.postState();
    } else if (this.follower !== undefined) {
      if (msg.kind === 'applied') this.follower.apply(msg.batch);
      else {
        this.relayedTopics = msg.topics;
        this.setHeads(msg.heads);
        if (msg.status !== this.status) {
          this.status = msg.status;
          this.emit('status', msg.status);
        }
        this.emit('change');
      }
    }
  }

  private postState(): void {
    const client = this.client;
    if (client === undefined || this.role !== 'leader') return;
    const snap = client.getSnapshot();
    const topics: Record<string, RelayedTopic> = emptyRecord();
    for (const [topic, t] of Object.entries(snap.topics)) topics[topic] = { phase: t.phase, watermark: t.watermark };
    this.post({ kind: 'state', status: snap.status, topics, heads: this.heads });
  }

  private setHeads(heads: Readonly<Record<string, number>>): void {
    // A server may name any topic in a heartbeat: only this app's topics are kept and relayed.
    const next = Object.assign(emptyRecord<number>(), this.heads);
    for (const topic of this.options.client.topics) if (hasOwn(heads, topic)) setOwn(next, topic, heads[topic]!);
    this.heads = next;
    this.emit('heads', this.heads);
    if (this.client !== undefined) this.postState();
    this.emit('change');
  }

  private post(msg: TabMessage): void {
    if (this.role === 'leader') this.channel?.postMessage(msg);
  }

  private onLifecycle(signal: string, cause: string): void {
    if (signal === 'online' || signal === 'offline') {
      this.online = signal === 'online';
      this.emit('network', this.online);
      this.emit('change');
    }
    // A frozen or hidden-for-bfcache tab cannot serve the others: hand the socket over.
    if (cause === 'freeze' || cause === 'pagehide') this.election?.resign();
    else if (cause === 'resume' || cause === 'pageshow') this.election?.rejoin();
  }
}
