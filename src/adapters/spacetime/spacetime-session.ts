import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import type { JsonValue } from '../../util/json.js';
import type { LaneSession, LaneSessionOptions, LaneSink } from '../lane.js';
import { frameTooLarge, oversizedBytes } from '../frame-too-large.js';
import { validatePayload } from '../validate.js';
import { CheckpointAcks } from './checkpoint-acks.js';
import { subscribeMulti, unsubscribeMulti } from './client-messages.js';
import { HeadProbe } from './head-probe.js';
import { IdentityTokenSchema, OneOffQueryResponseSchema, SubscriptionErrorSchema, TransactionUpdateLightSchema, type WireTableUpdate } from './schemas.js';
import { decodeEnvelope, peekReply, rawConnectionId } from './server-message.js';
import { replyTables } from './reply-tables.js';
import { joinGroup, newGroup, settleMember, type StreamSet } from './request-group.js';
import type { SpacetimeSessionSettings } from './session-settings.js';
import { cursorOf, streamQuery } from './sql.js';
import { checkResume, firstGap, staleCursorError, type StaleFinding } from './stale-detect.js';
import { collectInserts, toStreamBatch } from './table-rows.js';
import { readTransactionUpdate } from './transaction-update.js';
import { WireIds } from './wire-ids.js';

/**
 * The Spacetime {@link LaneSession}: SpacetimeDB's v1 JSON protocol over one open socket, mapped to
 * the core's logical subscribe/batch/error calls (SPACETIME_PROTOCOL §3 table, §5 rules).
 *
 * - `IdentityToken` is the lane's `ready`; nothing is sent before it (§5 rule 2).
 * - Each stream gets its own `SubscribeMulti` query set (`stream_id = '…' AND seq > N`), so one
 *   stream can be dropped or replaced without touching the others.
 * - Replies carry the rows; a gap or an over-budget replay is reported as `stale_cursor`, never
 *   applied (§5 rule 7). A live delta with a gap is reported the same way, as a pushed error.
 * - Refused inbound data becomes one `sink.protocolError` and changes nothing; nothing throws.
 */
export class SpacetimeSession implements LaneSession {
  private readonly send: (text: string) => void;
  private readonly sink: LaneSink;
  private readonly maxFrameBytes: number;
  private readonly sets = new Map<string, StreamSet>();
  private readonly byRequest = new Map<number, StreamSet>();
  private readonly ids = new WireIds();
  private readonly probe: HeadProbe | undefined;
  private readonly acks: CheckpointAcks | undefined;
  private nextLogicalId = 1;
  private ready = false;
  private disposed = false;
  /** `IdentityToken.identity` (u256 hex) of this connection, once known. */
  identity: string | undefined;
  /** `IdentityToken.connection_id` as exact decimal digits (lossless), once known. */
  connectionId: string | undefined;

  constructor(
    options: LaneSessionOptions,
    private readonly settings: SpacetimeSessionSettings,
  ) {
    this.send = options.send;
    this.sink = options.sink;
    this.maxFrameBytes = options.maxFrameBytes;
    const transmit = (text: string): void => this.transmit(text);
    const expected = (stream: string): number | undefined => {
      const set = this.sets.get(stream);
      return set?.state === 'live' ? (this.sink.lastApplied(stream) ?? set.after) : undefined;
    };
    const stale = (finding: StaleFinding): void => {
      this.drop(finding.stream);
      this.sink.serverError(staleCursorError([finding]));
    };
    if (settings.headTable !== null) this.probe = new HeadProbe({ ...settings, headTable: settings.headTable }, { sink: this.sink, transmit, expected, stale });
    if (settings.checkpointAck !== undefined) this.acks = new CheckpointAcks(settings.checkpointAck, () => this.ids.request(), transmit, this.sink);
  }

  /** Nothing to send: the server speaks first with `IdentityToken`. */
  start(): void {}

  /**
   * Send one `SubscribeMulti` per topic (`seq > cursor` when `resumeAfter` has one). A topic that
   * already has a query set here gets it replaced: `UnsubscribeMulti` first, then the new set.
   * Returns the logical request id the core correlates the reply with. Throws `invalid_option` for
   * a cursor that is not a non-negative safe integer (it would go into SQL).
   */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number {
    const cursors = topics.map((t) => cursorOf(resumeAfter, t));
    const group = newGroup(this.nextLogicalId++);
    for (const [i, stream] of topics.entries()) {
      if (topics.indexOf(stream) !== i) continue;
      this.drop(stream);
      const after = cursors[i];
      const set = joinGroup(group, stream, after, this.ids.query(), this.ids.request());
      this.sets.set(stream, set);
      this.byRequest.set(set.wireRequestId, set);
      this.transmit(subscribeMulti([streamQuery(this.settings.table, stream, after)], set.wireRequestId, set.queryId));
    }
    return group.requestId;
  }

  /** Drop the topics' query sets (`UnsubscribeMulti`). Their later rows are ignored. */
  unsubscribe(topics: string[]): void {
    for (const t of topics) this.drop(t);
  }

  /** Probe `stream_head` with a `OneOffQuery`: its answer feeds the watchdog, the heartbeat hints and the gap check. */
  heartbeat(): void {
    if (!this.ready) return;
    this.probe?.probe([...this.sets.values()].filter((s) => s.state === 'live').map((s) => s.stream));
  }

  /** A batch of `topic` is durable up to `watermark`: acknowledge it when acks are on. */
  committed(topic: string, watermark: number): void {
    if (this.ready && !this.disposed) this.acks?.committed(topic, watermark);
  }

  /** {@link LaneSession.dispose}: drop pending requests and timers; the transport is gone. */
  dispose(): void {
    this.disposed = true;
    this.sets.clear();
    this.byRequest.clear();
    this.probe?.dispose();
    this.acks?.dispose();
  }

  /** {@link LaneSession.receive}: one inbound text frame. */
  receive(text: string, byteLength: number): void {
    if (this.disposed) return;
    const oversized = oversizedBytes(text, byteLength, this.maxFrameBytes);
    if (oversized !== undefined) return this.onOversized(text, oversized);
    const env = decodeEnvelope(text);
    if (!env.ok) return this.sink.protocolError(env.error);
    const { tag, body } = env;
    if (tag === 'IdentityToken') return this.onIdentity(body, text);
    if (!this.ready) return this.unexpected(tag, 'before IdentityToken');
    switch (tag) {
      case 'SubscribeMultiApplied':
      case 'SubscribeApplied':
      case 'InitialSubscription': {
        const r = replyTables(tag, body);
        if (r.ok) return this.onApplied(tag, r.requestId, r.tables);
        this.sink.protocolError(r.error);
        // Which set it answers cannot be read, and a pending set would wait for it forever: as
        // with a reply whose rows are refused (onApplied), the connection starts over.
        if (this.byRequest.size > 0) this.sink.channelDown(`${tag}_refused`);
        return;
      }
      case 'UnsubscribeMultiApplied':
      case 'UnsubscribeApplied': {
        // Rows come back as deletes; they are not retractions, so only the id bookkeeping matters.
        const r = replyTables(tag, body);
        if (!r.ok) return this.sink.protocolError(r.error);
        this.ids.unsubscribed(r.requestId);
        return;
      }
      case 'TransactionUpdate':
        return this.onTransaction(body, text);
      case 'TransactionUpdateLight': {
        const v = validatePayload(TransactionUpdateLightSchema, body, tag);
        return v.ok ? this.onDelta(tag, v.value.update.tables) : this.sink.protocolError(v.error);
      }
      case 'SubscriptionError':
        return this.onSubscriptionError(body);
      case 'OneOffQueryResponse':
        return this.onOneOff(body);
      default:
        // ProcedureResult: this client never calls procedures.
        return;
    }
  }

  private transmit(text: string): void {
    if (!this.disposed) this.send(text);
  }

  private unexpected(tag: string, when: string): void {
    this.sink.protocolError(new ProtocolError(ErrorCodes.UNEXPECTED_MESSAGE, `spacetime message ${tag} ${when} ignored`, { details: { tag } }));
  }

  /**
   * A reply too large to parse. An unsubscribe reply (the set's rows as deletes) carries nothing we
   * use: its id is freed silently. A subscribe reply (initial rows can be tens of MB) would leave its
   * set pending forever: it is treated as a replay over budget — dropped and reported stale, so the
   * core bootstraps from a snapshot and resubscribes from its head, or, without a snapshot source,
   * stops the topic through its loop guard instead of hanging. Anything else is reported and skipped.
   */
  private onOversized(text: string, byteLength: number): void {
    const reply = peekReply(text);
    if (reply?.unsubscribe === true && this.ids.unsubscribed(reply.requestId)) return;
    const found = reply === undefined || reply.unsubscribe ? undefined : this.byRequest.get(reply.requestId);
    const set = found !== undefined && this.sets.get(found.stream) === found ? found : undefined;
    // The report names the stream of a subscribe reply (SPEC.md A12 table).
    this.sink.protocolError(frameTooLarge(byteLength, this.maxFrameBytes, set?.stream));
    if (set !== undefined) this.unreadable(set);
  }

  /**
   * A subscribe reply whose rows cannot be taken (too large to parse, or a row refused). The server
   * sends the same rows in every reply to this query, so waiting or starting the connection over
   * cannot help (it only flapped the socket, and every stream on it): as a replay over budget, the
   * set is dropped and reported stale, and its stream alone recovers.
   */
  private unreadable(set: StreamSet): void {
    this.byRequest.delete(set.wireRequestId);
    this.abandon(set, { stream: set.stream, reason: 'replay_budget_exceeded', resumeAfter: set.after ?? 0, retentionFloor: undefined, head: undefined });
  }

  /**
   * A replied set whose rows cannot be applied (a gap, more than the budget, too large): drop it and
   * report it stale, so the core bootstraps from a snapshot and subscribes again from its head.
   */
  private abandon(set: StreamSet, finding: StaleFinding): void {
    set.state = 'live';
    this.drop(set.stream);
    settleMember(this.sink, set, (g) => g.stale.push(finding));
  }

  /** Forget a stream's set (a pending one counts as done in its group) and unsubscribe it. */
  private drop(stream: string): void {
    const set = this.sets.get(stream);
    if (set === undefined) return;
    this.sets.delete(stream);
    this.probe?.forget(stream);
    if (set.state === 'pending') {
      this.byRequest.delete(set.wireRequestId);
      settleMember(this.sink, set, (g) => g.ok.push(stream));
    }
    this.transmit(unsubscribeMulti(this.ids.unsubscribe(set.queryId), set.queryId));
  }

  private onIdentity(body: JsonValue, text: string): void {
    if (this.ready) return this.unexpected('IdentityToken', 'after the first one');
    const v = validatePayload(IdentityTokenSchema, body, 'IdentityToken');
    if (!v.ok) return this.sink.protocolError(v.error);
    // The token is the credential in use: it is not kept (nothing may log it).
    this.identity = v.value.identity.__identity__;
    this.connectionId = rawConnectionId(text, v.value.connection_id.__connection_id__);
    this.ready = true;
    this.sink.ready({ allowedTopics: undefined });
  }

  private onApplied(tag: string, wireRequestId: number, tables: readonly WireTableUpdate[]): void {
    const set = this.byRequest.get(wireRequestId);
    if (set === undefined || this.sets.get(set.stream) !== set) return; // a reply to a set dropped meanwhile
    const rows = collectInserts(tables, this.settings.table, this.settings.columns, (s) => s === set.stream, tag);
    if (!rows.ok) {
      if (rows.error.code === ErrorCodes.SEQ_OUT_OF_RANGE) return this.outOfRange(rows.error);
      this.sink.protocolError(rows.error);
      return this.unreadable(set);
    }
    this.byRequest.delete(wireRequestId);
    const list = rows.byStream.get(set.stream) ?? [];
    const finding = checkResume(set.stream, set.after, list.map((r) => r.seq), this.settings.replayBudget(set.stream));
    if (finding !== undefined) return this.abandon(set, finding);
    set.state = 'live';
    if (list.length > 0) this.sink.batch(toStreamBatch(set.stream, list, true));
    settleMember(this.sink, set, (g) => g.ok.push(set.stream));
    // Look at the head at once: an empty reply while the head is ahead would otherwise look caught up.
    this.probe?.probe([set.stream]);
    // A new socket re-acknowledges where it starts (an ack lost with the old socket is not retried there).
    const watermark = this.sink.lastApplied(set.stream) ?? set.after;
    if (watermark !== undefined) this.acks?.committed(set.stream, watermark);
  }

  private onTransaction(body: JsonValue, text: string): void {
    const meaning = readTransactionUpdate(body, text, this.sink, this.acks, this.connectionId);
    if (meaning.kind === 'rows') return this.onDelta('TransactionUpdate', meaning.tables);
    // Only the caller gets a failure, and this client calls no other reducer: a subscribe or
    // unsubscribe failed outside the query compiler (e.g. a reused query id, §1.6). Start over (§5 rule 8).
    if (meaning.kind === 'request_failed') this.sink.channelDown('transaction_failed');
  }

  private onDelta(tag: string, tables: readonly WireTableUpdate[]): void {
    const rows = collectInserts(tables, this.settings.table, this.settings.columns, (s) => this.sets.get(s)?.state === 'live', tag);
    if (!rows.ok) {
      if (rows.error.code !== ErrorCodes.SEQ_OUT_OF_RANGE) return this.sink.protocolError(rows.error);
      // The stream fails; the message's rows of every other stream still apply.
      this.outOfRange(rows.error);
      return this.onDelta(tag, tables);
    }
    const stale: StaleFinding[] = [];
    for (const [stream, list] of rows.byStream) {
      const set = this.sets.get(stream)!;
      const expected = this.sink.lastApplied(stream) ?? set.after;
      const gap = expected === undefined ? undefined : firstGap(expected, list.map((r) => r.seq));
      if (gap !== undefined) {
        stale.push({ stream, reason: 'retention_floor_breach', resumeAfter: expected!, retentionFloor: gap - 1, head: list[list.length - 1]!.seq });
        this.drop(stream);
        continue;
      }
      this.sink.batch(toStreamBatch(stream, list, true));
    }
    if (stale.length > 0) this.sink.serverError(staleCursorError(stale));
  }

  /**
   * A stream whose seq reached 2^53: every later row of it is past it too, so it is dropped
   * (unsubscribed, its rows skipped from now on) and failed in the core once, with the code.
   */
  private outOfRange(error: ProtocolError): void {
    const stream = error.topic!;
    this.drop(stream);
    const raw = { code: error.code, stream };
    this.sink.serverError({ code: error.code, message: error.message, fullResyncRequired: false, staleTopics: [], snapshotHeads: undefined, topic: stream, action: undefined, retryAfterMs: undefined, forbiddenTopics: [], raw });
  }

  private onSubscriptionError(body: JsonValue): void {
    const v = validatePayload(SubscriptionErrorSchema, body, 'SubscriptionError');
    if (!v.ok) {
      this.sink.protocolError(v.error);
      // Whose it is cannot be read: it may refuse a pending set (which would wait for good) or be
      // the one without ids that dropped every subscription (§1.6). As with an unreadable subscribe
      // reply, the connection starts over (SPEC.md S7).
      if (this.sets.size > 0) this.sink.channelDown('SubscriptionError_refused');
      return;
    }
    const { request_id: requestId, query_id: queryId, error } = v.value;
    if (requestId === undefined && queryId === undefined) {
      // From evaluating a transaction: the server dropped this client's subscriptions (§1.6).
      return this.sink.channelDown('subscription_error');
    }
    const set = (requestId !== undefined ? this.byRequest.get(requestId) : undefined) ?? [...this.sets.values()].find((s) => s.queryId === queryId);
    if (set === undefined) return;
    // Nothing was applied for it: the query id is free again.
    this.byRequest.delete(set.wireRequestId);
    this.ids.free(set.queryId);
    if (this.sets.get(set.stream) === set) this.sets.delete(set.stream);
    if (set.group !== undefined) return settleMember(this.sink, set, (g) => g.refused.push({ stream: set.stream, error: error.slice(0, 500) }));
    // An already-applied set died on its own: its rows can no longer be trusted to arrive, and the
    // core has no per-topic "lost" call, so the connection starts over and resumes every cursor.
    this.sink.channelDown('subscription_error');
  }

  private onOneOff(body: JsonValue): void {
    const v = validatePayload(OneOffQueryResponseSchema, body, 'OneOffQueryResponse');
    if (!v.ok) return this.sink.protocolError(v.error);
    if (this.probe !== undefined) this.probe.answer(v.value);
    else this.sink.notice?.({ type: 'unmatched_reply', kind: 'one_off', id: v.value.message_id.slice(0, 40) });
  }
}

