import type { WebSocket } from 'ws';
import { redact } from '../errors/redact.js';
import type { JsonObject } from '../util/json.js';
import { FRAME_KIND_ERROR, FRAME_KIND_UPDATE_BATCH, khalaFrame } from './khala-frames.js';
import { SERVER_DEFAULTS } from './options.js';
import { SYNC_TOPIC, pushFrame, replyFrame } from './phoenix-frames.js';
import type { InboundFrame } from './phoenix-frames.js';
import type { TopicJournal } from './journal.js';
import { sendNextBatch, streamReplay } from './replay.js';
import { takeInjected } from './server-context.js';
import type { ServerContext } from './server-context.js';
import { checkFreshness, staleCursorPayload } from './stale-cursor.js';
import type { StaleTopic } from './stale-cursor.js';
import { normalizeTopics, parseReplayBatchSize, parseResumeAfter } from './subscribe-request.js';


/**
 * Rows after `sent` (what a socket was sent) were pruned before it got them. A socket at 0 was
 * subscribed without a cursor and gets what is retained (§5.5), so it is never behind the floor.
 */
function prunedPast(sent: number, journal: TopicJournal): boolean {
  return sent > 0 && sent < journal.retentionFloor;
}
/** How a channel ended: a `phx_close`/`phx_error` push, or silently (socket gone, server closing). */
export type ChannelEnd = 'phx_close' | 'phx_error' | 'silent';

/**
 * One joined `sync:v1` channel instance. State (subscriptions, delivered cursors, strikes) lives here,
 * as it lived in the Elixir channel process: a rejoin starts from scratch.
 */
export class SyncChannel {
  private readonly subscribed = new Set<string>();
  private readonly delivered = new Map<string, number>();
  private readonly batchSizes = new Map<string, number>();
  private readonly pending = new Set<string>();
  private strikes = 0;
  private lastActivity = Date.now();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private drainHandle: NodeJS.Immediate | undefined;
  private alive = true;
  // A subscribe whose replay is still streaming (see streamReplay): the channel handles nothing else
  // until its reply is sent, as the Elixir channel process handled one message at a time, so later
  // frames wait here in arrival order and live drains wait too.
  private replaying = false;
  private readonly inbox: InboundFrame[] = [];

  constructor(
    private readonly ctx: ServerContext,
    private readonly ws: WebSocket,
    /** The join's `join_ref`, stamped on every push (null for legacy joins, §1.2). */
    readonly joinRef: string | null,
    readonly subscriptionId: string,
    readonly sessionId: string,
    private readonly allowedTopics: readonly string[],
    private readonly onEnd: (channel: SyncChannel) => void,
  ) {
    this.heartbeatTimer = setInterval(() => this.tick(), ctx.options.serverHeartbeatMs);
    this.heartbeatTimer.unref();
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Topics currently subscribed, in subscription order. */
  get topics(): string[] {
    return [...this.subscribed];
  }

  handle(frame: InboundFrame): void {
    if (this.replaying) {
      this.inbox.push(frame);
      return;
    }
    switch (frame.event) {
      case 'sync:subscribe':
        this.lastActivity = Date.now();
        return void this.subscribe(frame);
      case 'sync:unsubscribe':
        this.lastActivity = Date.now();
        return this.unsubscribe(frame);
      case 'sync:heartbeat':
        this.lastActivity = Date.now();
        this.push('sync:heartbeat', { watermarks: this.watermarks() });
        return this.reply(frame, 'ok', { subscription_id: this.subscriptionId, watermarks: this.watermarks() });
      case 'phx_leave':
        this.reply(frame, 'ok', {});
        return this.end('phx_close');
      default:
        // The Elixir channel had no catch-all handle_in: an unknown event crashed it (§1.3).
        this.ctx.options.log(`channel crashed on unknown event ${JSON.stringify(redact(frame.event.slice(0, 64)))}`);
        return this.end('phx_error');
    }
  }

  /** Live fan-out (§2.6, §8.3): queue the topic, or strike when the pending set is full. */
  notify(topic: string): void {
    if (!this.alive || !this.subscribed.has(topic) || this.pending.has(topic)) return;
    const { queueLimit, maxStrikes } = this.ctx.options;
    if (this.pending.size >= queueLimit) {
      this.strikes += 1;
      // The notification is dropped; the journal keeps the event for the next drain or resubscribe.
      this.slowConsumer(topic, this.strikes >= maxStrikes ? 'disconnect' : 'throttle', this.pending.size + 1);
      return;
    }
    this.pending.add(topic);
    this.scheduleDrain();
  }

  /** Push a slow_consumer error (§3.2); `disconnect` then ends the channel with `phx_error`. */
  slowConsumer(topic: string, action: 'throttle' | 'disconnect', queueDepth = this.ctx.options.queueLimit + 1): void {
    this.pushError(topic, {
      code: 'slow_consumer',
      message: 'client cannot keep up with live fanout',
      action,
      topic,
      queue_depth: queueDepth,
      queue_limit: this.ctx.options.queueLimit,
      reconnect_after_ms: SERVER_DEFAULTS.slowConsumerReconnectAfterMs,
      full_resync_required: action === 'disconnect',
    });
    if (action === 'disconnect') {
      this.ctx.stats.slowConsumerEvictions += 1;
      this.end('phx_error');
    }
  }

  /**
   * The journal was pruned past what this socket was sent (a publish and a prune between two drain
   * ticks, or during a streamed replay): sending the rows still retained would skip the pruned ones
   * without a word, since Khala watermarks may legitimately jump (SPEC A3) and the client cannot
   * tell ({@link prunedPast}). The topic gets the `stale_cursor` a resubscribe from `cursor` would
   * (§5.5, pushed and as an ERROR frame) and leaves the subscription until the client resubscribes.
   */
  private prunedUnder(topic: string, cursor: number): void {
    const { catalog, journal, stats } = this.ctx;
    this.subscribed.delete(topic);
    this.pending.delete(topic);
    stats.staleCursors += 1;
    const verdict = checkFreshness(cursor, journal.topic(topic), catalog.policy(topic)!);
    if (verdict) this.pushError(topic, staleCursorPayload([verdict], catalog));
  }

  /** `sync:error`, then a `sync:frame` of kind ERROR with seq 0 (§2.5), per the emission setting. */
  pushError(frameTopic: string, payload: JsonObject): void {
    if (this.emitsLegacy) this.push('sync:error', payload);
    if (this.emitsFrame) this.push('sync:frame', khalaFrame(frameTopic, 0, FRAME_KIND_ERROR, payload));
  }

  /** Stop timers and forget the channel; `phx_close`/`phx_error` is pushed first unless `silent`. */
  end(how: ChannelEnd): void {
    if (!this.alive) return;
    this.alive = false;
    clearInterval(this.heartbeatTimer);
    if (this.drainHandle) clearImmediate(this.drainHandle);
    this.drainHandle = undefined;
    this.pending.clear();
    this.inbox.length = 0;
    if (how !== 'silent') {
      this.ctx.options.log(`channel ${this.subscriptionId} ended with ${how}`);
      this.push(how, {});
    }
    this.onEnd(this);
  }

  private get emitsLegacy(): boolean {
    return this.ctx.options.doubleEmission || this.ctx.options.singleEmission === 'legacy';
  }

  private get emitsFrame(): boolean {
    return this.ctx.options.doubleEmission || this.ctx.options.singleEmission === 'frame';
  }

  private push(event: string, payload: JsonObject): void {
    this.ctx.send(this.ws, pushFrame(this.joinRef, SYNC_TOPIC, event, payload));
  }

  private reply(frame: InboundFrame, status: 'ok' | 'error', response: JsonObject): void {
    this.ctx.send(this.ws, replyFrame(this.joinRef, frame.ref, SYNC_TOPIC, status, response));
  }

  private emitBatch = (topic: string, batch: JsonObject, seq: number): void => {
    if (this.emitsLegacy) this.push('sync:update_batch', batch);
    if (this.emitsFrame) this.push('sync:frame', khalaFrame(topic, seq, FRAME_KIND_UPDATE_BATCH, batch));
  };

  private watermarks(): JsonObject[] {
    return [...this.subscribed].map((topic) => ({ topic, watermark: this.delivered.get(topic) ?? 0 }));
  }

  /**
   * §2.2: the processing order below is the observed Elixir order and is part of the contract. The
   * replay is streamed (it may span event-loop turns); the reply still follows its last batch.
   */
  private async subscribe(frame: InboundFrame): Promise<void> {
    const injected = takeInjected(this.ctx.faults.subscribeErrors);
    if (injected) return this.reply(frame, 'error', injected);
    const { catalog, journal, options } = this.ctx;
    const topics = normalizeTopics(frame.payload.topics);
    if (!topics) return this.reply(frame, 'error', { code: 'bad_subscription' });
    const unknown = topics.filter((t) => !catalog.has(t));
    if (unknown.length > 0) return this.reply(frame, 'error', { code: 'forbidden_topic', forbidden_topics: unknown });
    const disallowed = topics.filter((t) => !this.allowedTopics.includes(t));
    if (disallowed.length > 0) return this.reply(frame, 'error', { code: 'forbidden_topic', forbidden_topics: disallowed });
    const resumeAfter = parseResumeAfter(frame.payload.resume_after);
    if (!resumeAfter) return this.reply(frame, 'error', { code: 'bad_subscription' });

    // Freshness only for topics with an explicit cursor (§5.5); any stale topic fails the whole request.
    const stale: StaleTopic[] = [];
    for (const topic of topics) {
      const cursor = resumeAfter.get(topic);
      if (cursor === undefined) continue;
      const verdict = checkFreshness(cursor, journal.topic(topic), catalog.policy(topic)!);
      if (verdict) stale.push(verdict);
    }
    if (stale.length > 0) {
      this.ctx.stats.staleCursors += 1;
      const payload = staleCursorPayload(stale, catalog);
      // Delivered three times (§3.2): push, ERROR frame naming the first stale topic, then the reply.
      this.pushError(stale[0]!.topic, payload);
      return this.reply(frame, 'error', payload);
    }

    const requested = parseReplayBatchSize(frame.payload.replay_batch_size);
    const batchSize = Math.min(requested ?? options.maxBatchSize, options.maxBatchSize);
    for (const topic of topics) {
      this.subscribed.add(topic);
      this.batchSizes.set(topic, batchSize);
    }
    // Replay goes out before the reply, so frames can precede the ok (§2.2 consequences).
    this.replaying = true;
    try {
      for (const topic of topics) {
        const start = resumeAfter.get(topic) ?? this.delivered.get(topic) ?? 0;
        // A cursor above head replays nothing and is echoed back as is (§8.7).
        this.delivered.set(topic, start);
        const flow = { alive: () => this.alive, buffered: () => this.ws.bufferedAmount, progress: (w: number) => void this.delivered.set(topic, w) };
        await streamReplay(journal.topic(topic), start, batchSize, this.emitBatch, flow);
        if (!this.alive) return;
      }
    } finally {
      this.replaying = false;
    }
    this.ctx.stats.subscribes += 1;
    // A replay cut short by a prune under it (streamReplay stops there) is reported by the next drain.
    for (const topic of topics) if (prunedPast(this.delivered.get(topic)!, journal.topic(topic))) this.pending.add(topic);
    this.reply(frame, 'ok', {
      subscription_id: this.subscriptionId,
      topics,
      current_watermarks: topics.map((topic) => ({ topic, watermark: this.delivered.get(topic) ?? 0 })),
    });
    this.afterReplay();
  }

  /** Handle what arrived during a streamed replay, in order, then the live drains it held back. */
  private afterReplay(): void {
    while (this.alive && !this.replaying) {
      const next = this.inbox.shift();
      if (next === undefined) break;
      this.handle(next);
    }
    if (!this.replaying && this.pending.size > 0) this.scheduleDrain();
  }

  private unsubscribe(frame: InboundFrame): void {
    const topics = normalizeTopics(frame.payload.topics);
    if (!topics) return this.reply(frame, 'error', { code: 'bad_subscription' });
    for (const topic of topics) {
      this.subscribed.delete(topic);
      this.pending.delete(topic);
    }
    // The reply lists what is still subscribed, not what was removed (§2.3).
    this.reply(frame, 'ok', { subscription_id: this.subscriptionId, topics: [...this.subscribed] });
  }

  private tick(): void {
    // A streaming replay is one long step of the channel: no idle verdict or heartbeat inside it.
    if (!this.alive || this.replaying) return;
    if (Date.now() - this.lastActivity > this.ctx.options.channelIdleTimeoutMs) {
      // Heartbeat timeout is a normal stop, so the client sees phx_close, not phx_error (§8.1).
      this.end('phx_close');
      return;
    }
    this.push('sync:heartbeat', { watermarks: this.watermarks() });
  }

  private scheduleDrain(): void {
    if (this.drainHandle || !this.alive) return;
    this.drainHandle = setImmediate(() => {
      this.drainHandle = undefined;
      this.drain();
    });
  }

  /** One tick: at most `drainTopicsPerTick` topics, one batch each, from the delivered cursor (§2.6). */
  private drain(): void {
    if (!this.alive || this.replaying) return; // afterReplay schedules it again
    const { journal, options } = this.ctx;
    const batch = [...this.pending].slice(0, options.drainTopicsPerTick);
    for (const topic of batch) {
      this.pending.delete(topic);
      if (!this.subscribed.has(topic)) continue;
      const topicJournal = journal.topic(topic);
      const from = this.delivered.get(topic) ?? 0;
      if (prunedPast(from, topicJournal)) {
        this.prunedUnder(topic, from);
        continue;
      }
      const to = sendNextBatch(topicJournal, from, this.batchSizes.get(topic) ?? options.maxBatchSize, this.emitBatch);
      this.delivered.set(topic, to);
      if (!this.alive) return;
      if (to < topicJournal.replayHead) this.pending.add(topic);
    }
    if (this.pending.size > 0) this.scheduleDrain();
  }
}
