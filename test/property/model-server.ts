// A scheduled fake Khala server for the property tests. It speaks the wire protocol over the
// in-memory transport and follows the protocol's delivery contract, but the ORDER in which its
// frames reach the client is chosen by the test: per topic, distinct batches arrive in watermark
// order; copies of a batch and other topics' frames may interleave arbitrarily; a subscribe reply
// comes after (at least one copy of) each of its replay batches.
import type { SnapshotPage, SnapshotSource } from '../../src/bootstrap/snapshot-source.js';
import type { MemoryPeer } from '../../src/transport/memory-transport.js';
import { FORBIDDEN_TOPIC, fold, payloadOf, startCursor, type JournalEvent, type Scenario, type TopicScenario } from './journal-model.js';

const CHANNEL = 'sync:v1';

/** One frame waiting to be delivered. */
interface Item {
  id: number;
  text: string;
  /** For batch copies: the topic and the batch's ordinal on this socket. */
  topic?: string;
  batch?: number;
  /** For a subscribe reply: the batches (topic, ordinal) it must follow. */
  follows?: Array<[string, number]>;
  /** Items (by id) that must be delivered first. */
  after?: number[];
}

interface Socket {
  peer: MemoryPeer;
  joinRef: string | null;
  subscribed: Set<string>;
  /** Per topic: the watermark this socket has queued up to (Phoenix's per-socket cursor). */
  cursor: Map<string, number>;
  /** Per topic: batches built so far, and which of them had a copy delivered. */
  built: Map<string, number>;
  delivered: Map<string, Set<number>>;
  queue: Item[];
}

interface TopicState {
  scenario: TopicScenario;
  published: number;
  floor: number;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The server. `socket` is the open connection, if any. */
export class ModelServer {
  readonly topics = new Map<string, TopicState>();
  socket: Socket | undefined;
  private nextItem = 1;
  private copyCursor = 0;
  private sizeCursor = 0;
  private readonly waitingSnapshots: Array<{ topic: string; resolve: () => void }> = [];
  /** Batch copies delivered after another copy of the same batch (the client must ignore them). */
  duplicateDeliveries = 0;
  /** Human-readable trace of what the server did (printed with a failure). */
  readonly trace: string[] = [];

  constructor(private readonly scenario: Scenario) {
    // Without a snapshot source nothing is pruned past the client's cursor (see Scenario.snapshots).
    for (const t of scenario.topics) this.topics.set(t.topic, { scenario: t, published: t.initiallyPublished, floor: scenario.snapshots ? t.initialFloor : Math.min(t.initialFloor, startCursor(t) ?? 0) });
  }

  head(topic: string): number {
    const t = this.topics.get(topic)!;
    return t.published === 0 ? 0 : t.scenario.events[t.published - 1]!.watermark;
  }

  /** Attach a freshly dialled connection. */
  accept(peer: MemoryPeer): void {
    const socket: Socket = { peer, joinRef: null, subscribed: new Set(), cursor: new Map(), built: new Map(), delivered: new Map(), queue: [] };
    this.socket = socket;
    this.trace.push('accept');
    peer.onClientMessage = (text) => this.onClientFrame(socket, text);
    peer.onClientClose = () => {
      if (this.socket === socket) this.socket = undefined;
    };
  }

  // ---- snapshot source (SDK_CONTRACTS §1 semantics, in process)
  readonly snapshot: SnapshotSource = (topic) => {
    const build = (): SnapshotPage => {
      const t = this.topics.get(topic)!;
      const docs = fold(t.scenario.events.slice(0, t.published));
      this.trace.push(`snapshot ${topic} @${this.head(topic)}`);
      return { topic, headWatermark: this.head(topic), docs: [...docs].map(([docKey, d]) => ({ docKey, docVersion: d.docVersion, payload: d.payload, payloadHash: null })) };
    };
    const immediate = this.scenario.immediateSnapshots;
    const waiting = this.waitingSnapshots;
    return (async function* pages() {
      yield immediate ? build() : await new Promise<SnapshotPage>((resolve) => waiting.push({ topic, resolve: () => resolve(build()) }));
    })();
  };

  pendingSnapshots(): number {
    return this.waitingSnapshots.length;
  }

  resolveSnapshot(n: number): void {
    const [w] = this.waitingSnapshots.splice(n % this.waitingSnapshots.length, 1);
    w?.resolve();
  }

  // ---- schedule
  /** Items that may be delivered now. */
  eligible(): Item[] {
    const s = this.socket;
    if (s === undefined) return [];
    const done = (topic: string, batch: number): boolean => batch < 0 || (s.delivered.get(topic)?.has(batch) ?? false);
    const queued = new Set(s.queue.map((i) => i.id));
    return s.queue.filter((i) => (i.topic === undefined || done(i.topic, i.batch! - 1)) && (i.follows ?? []).every(([t, b]) => done(t, b)) && (i.after ?? []).every((id) => !queued.has(id)));
  }

  /** Deliver the n-th eligible item; false when nothing is eligible. */
  deliver(n: number): boolean {
    const s = this.socket;
    const items = this.eligible();
    if (s === undefined || items.length === 0) return false;
    const item = items[n % items.length]!;
    s.queue.splice(s.queue.indexOf(item), 1);
    if (item.topic !== undefined) {
      const set = s.delivered.get(item.topic) ?? new Set();
      if (set.has(item.batch!)) this.duplicateDeliveries++;
      set.add(item.batch!);
      s.delivered.set(item.topic, set);
    }
    this.trace.push(`deliver ${item.text.slice(0, 140)}`);
    s.peer.push(item.text);
    return true;
  }

  queued(): number {
    return this.socket?.queue.length ?? 0;
  }

  /** Publish up to `count` more events of the n-th topic (never the last one: it is kept for the drain). */
  publish(n: number, count: number, keepLast = true): void {
    const t = [...this.topics.values()][n % this.topics.size]!;
    const limit = t.scenario.events.length - (keepLast ? 1 : 0);
    if (t.published >= limit) return;
    t.published = Math.min(limit, t.published + count);
    this.trace.push(`publish ${t.scenario.topic} → ${this.head(t.scenario.topic)}`);
    const s = this.socket;
    if (s?.subscribed.has(t.scenario.topic)) this.enqueueRange(s, t.scenario.topic);
  }

  /** Publish one event of the n-th topic and drop its live notification, telling the client it is slow (§3.2 throttle). */
  throttle(n: number): void {
    const t = [...this.topics.values()][n % this.topics.size]!;
    const s = this.socket;
    if (s === undefined || !s.subscribed.has(t.scenario.topic) || t.published >= t.scenario.events.length - 1) return;
    t.published++;
    const error = { code: 'slow_consumer', message: 'client cannot keep up with live fanout', action: 'throttle', topic: t.scenario.topic, queue_depth: 65, queue_limit: 64, reconnect_after_ms: 2000, full_resync_required: false };
    this.trace.push(`throttle ${t.scenario.topic} (dropped the notification of ${this.head(t.scenario.topic)})`);
    this.push(s, [s.joinRef, null, CHANNEL, 'sync:error', error]);
    this.push(s, [s.joinRef, null, CHANNEL, 'sync:frame', { topic: t.scenario.topic, seq: 0, kind: 'KHALA_FRAME_KIND_ERROR', payload_bytes: b64(JSON.stringify(error)), schema_version: 1 }]);
  }

  /**
   * Highest floor a prune may set without making a correct client lose events: the open socket's
   * cursor when it has the topic subscribed (a cursor-less catch-up restarts there), else the head.
   */
  pruneLimit(topic: string): number {
    const s = this.socket;
    return s?.subscribed.has(topic) ? Math.min(s.cursor.get(topic) ?? 0, this.head(topic)) : this.head(topic);
  }

  /** Raise the retention floor of a topic (the caller decides what is safe). */
  prune(topic: string, to: number): void {
    const t = this.topics.get(topic)!;
    if (to <= t.floor) return;
    t.floor = to;
    this.trace.push(`prune ${topic} to ${to}`);
  }

  /** Deliver everything left, then publish the rest and deliver again: what a healthy server ends with. */
  publishAll(): void {
    for (const [i] of [...this.topics.values()].entries()) this.publish(i, Number.MAX_SAFE_INTEGER, false);
  }

  channelError(): void {
    const s = this.socket;
    if (s === undefined) return;
    this.trace.push('phx_error');
    s.queue = [];
    s.subscribed.clear();
    s.peer.push(JSON.stringify([s.joinRef, null, CHANNEL, 'phx_error', {}]));
  }

  drop(): void {
    const s = this.socket;
    if (s === undefined) return;
    this.trace.push('drop');
    this.socket = undefined;
    s.peer.close(1006, 'dropped by the test');
  }

  // ---- protocol
  private push(s: Socket, frame: unknown[], extra: Partial<Item> = {}): number {
    const id = this.nextItem++;
    s.queue.push({ id, text: JSON.stringify(frame), ...extra });
    return id;
  }

  private onClientFrame(s: Socket, text: string): void {
    if (this.socket !== s) return;
    const [joinRef, ref, , event, payload] = JSON.parse(text) as [string | null, string, string, string, Record<string, unknown>];
    if (event === 'phx_join') {
      s.joinRef = joinRef;
      this.trace.push('join');
      s.peer.push(JSON.stringify([joinRef, ref, CHANNEL, 'phx_reply', { status: 'ok', response: { subscription_id: 'sub_model', allowed_topics: [...this.topics.keys()], current_watermarks: [] } }]));
    } else if (event === 'sync:subscribe') {
      this.onSubscribe(s, ref, payload);
    } else if (event === 'sync:heartbeat') {
      s.peer.push(JSON.stringify([s.joinRef, ref, CHANNEL, 'phx_reply', { status: 'ok', response: { subscription_id: 'sub_model', watermarks: [] } }]));
    }
  }

  private onSubscribe(s: Socket, ref: string, payload: Record<string, unknown>): void {
    const topics = payload['topics'] as string[];
    const resume = (payload['resume_after'] ?? {}) as Record<string, number>;
    this.trace.push(`subscribe ${JSON.stringify(topics)} resume_after ${JSON.stringify(resume)}`);
    // §2.2 steps 2–3 come before the freshness check: a forbidden topic fails the whole request.
    if (topics.includes(FORBIDDEN_TOPIC)) {
      this.trace.push('forbidden');
      this.push(s, [s.joinRef, ref, CHANNEL, 'phx_reply', { status: 'error', response: { code: 'forbidden_topic', forbidden_topics: [FORBIDDEN_TOPIC] } }]);
      return;
    }
    // §2.2 step 5: the freshness check runs only for topics sent with a cursor (§5.5: one reason per topic, floor first).
    const reason = (t: string): string | undefined => {
      if (!Object.prototype.hasOwnProperty.call(resume, t)) return undefined;
      if (resume[t]! < this.topics.get(t)!.floor) return 'retention_floor_breach';
      if (!this.scenario.snapshots && this.head(t) - resume[t]! > this.scenario.budget) return 'replay_budget_exceeded';
      return undefined;
    };
    const stale = topics.filter((t) => reason(t) !== undefined);
    if (stale.length > 0) {
      const error = {
        code: 'stale_cursor',
        message: 'cursor is older than retention floor',
        full_resync_required: true,
        reason_codes: [...new Set(stale.map(reason))],
        ...(this.scenario.snapshots ? { snapshot_plan: { format: 'openagents.sync.snapshot.v1', topics: stale.map((t) => ({ topic: t, head_watermark: this.head(t) })) } } : {}),
        stale_topics: stale.map((t) => ({ topic: t, reason: reason(t), resume_after: resume[t], retention_floor: this.topics.get(t)!.floor, head_watermark: this.head(t) })),
      };
      this.trace.push(`stale ${JSON.stringify(stale)}`);
      // Both pushes go out before the reply on the channel (§3.2); between themselves, either order.
      const copies = [
        this.push(s, [s.joinRef, null, CHANNEL, 'sync:error', error]),
        this.push(s, [s.joinRef, null, CHANNEL, 'sync:frame', { topic: stale[0], seq: 0, kind: 'KHALA_FRAME_KIND_ERROR', payload_bytes: b64(JSON.stringify(error)), schema_version: 1 }]),
      ];
      this.push(s, [s.joinRef, ref, CHANNEL, 'phx_reply', { status: 'error', response: error }], { after: copies });
      return;
    }
    const follows: Array<[string, number]> = [];
    for (const t of topics) {
      s.subscribed.add(t);
      if (Object.prototype.hasOwnProperty.call(resume, t)) s.cursor.set(t, resume[t]!);
      follows.push(...this.enqueueRange(s, t));
    }
    const current = topics.map((t) => ({ topic: t, watermark: s.cursor.get(t) ?? 0 }));
    this.push(s, [s.joinRef, ref, CHANNEL, 'phx_reply', { status: 'ok', response: { subscription_id: 'sub_model', topics, current_watermarks: current } }], { follows });
  }

  /** Queue batches for everything published after the socket's cursor (replay and live tail share this path, §2.6). */
  private enqueueRange(s: Socket, topic: string): Array<[string, number]> {
    const t = this.topics.get(topic)!;
    const from = Math.max(s.cursor.get(topic) ?? 0, t.floor);
    const events = t.scenario.events.slice(0, t.published).filter((e) => e.watermark > from);
    const made: Array<[string, number]> = [];
    for (let i = 0; i < events.length; ) {
      const size = this.scenario.batchSizes[this.sizeCursor++ % this.scenario.batchSizes.length]!;
      const chunk = events.slice(i, i + size);
      i += size;
      const ordinal = s.built.get(topic) ?? 0;
      s.built.set(topic, ordinal + 1);
      this.enqueueBatch(s, topic, ordinal, chunk, i >= events.length);
      made.push([topic, ordinal]);
    }
    s.cursor.set(topic, Math.max(s.cursor.get(topic) ?? 0, this.head(topic)));
    return made;
  }

  private enqueueBatch(s: Socket, topic: string, ordinal: number, chunk: JournalEvent[], complete: boolean): void {
    const body = {
      updates: chunk.map((e) => ({ topic, doc_key: e.docKey, doc_version: e.docVersion, payload: payloadOf(e), payload_hash: null, watermark: e.watermark, hydration_required: false })),
      replay_complete: complete,
      head_watermarks: [{ topic, watermark: this.head(topic) }],
    };
    const legacy = [s.joinRef, null, CHANNEL, 'sync:update_batch', body];
    const frame = [s.joinRef, null, CHANNEL, 'sync:frame', { topic, seq: chunk[chunk.length - 1]!.watermark, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: b64(JSON.stringify(body)), schema_version: 1 }];
    const plan = this.scenario.copyPlan[this.copyCursor++ % this.scenario.copyPlan.length]!;
    const tag = { topic, batch: ordinal };
    if (plan !== 2) this.push(s, legacy, tag);
    if (plan !== 1) this.push(s, frame, tag);
    if (plan === 3) this.push(s, frame, tag);
  }
}
