import type { LaneNotice, LaneSink } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { ServerError } from '../errors/server-error.js';
import type { SyncBatch, SyncErrorPayload } from '../model/types.js';
import { serverError, STOP_CODES } from '../replay/transitions.js';
import type { Connection } from './connection.js';
import type { InboundQueue } from './inbound-queue.js';
import { countRejected } from './metrics.js';
import type { ReplyDeadline } from './reply-deadline.js';

/**
 * What the lane session of a socket calls back (the socket's link is its own sink, socket-link.ts):
 * batches go to the commit queue, replies and errors to the replay driver (after the batches of the
 * same inbound frame), and on a standby socket only its join, data and subscribe oks count —
 * anything else gives the standby up. Methods rather than a closure per callback: one sink per
 * socket of every client (docs/benchmarks.md, figure 4).
 */
export abstract class LinkSink implements LaneSink {
  abstract replies: ReplyDeadline | undefined;
  abstract readonly inbound: InboundQueue;
  abstract clear(timer: string): void;

  constructor(
    /** The connection the socket belongs to. */
    readonly conn: Connection,
  ) {}

  /** Whether the link still serves its connection, as its current socket or its standby (a replaced socket's events are dropped). */
  live(): boolean {
    return this.current() || this.standby();
  }

  /** Whether it is the connection's current socket. */
  current(): boolean {
    return (this as LinkSink) === this.conn.link;
  }

  /** Whether it is the standby socket of a token refresh. */
  standby(): boolean {
    return (this as LinkSink) === this.conn.swap.link;
  }

  ready(): void {
    if (this.standby()) this.conn.swap.joined();
    else if (this.current()) this.conn.joined();
  }

  joinFailed(error: SyncErrorPayload): void {
    this.#orDrop(`join failed (${error.code})`, () => {
      const c = this.conn;
      this.clear('join');
      if (STOP_CODES.has(error.code)) return c.halt(new ServerError(error.code as never, error.message ?? error.code, { details: { payload: error.raw } }));
      // invalid_payload: a reply the lane could not read, which it has reported already.
      if (error.code !== ErrorCodes.INVALID_PAYLOAD) c.hooks.error(serverError(error, undefined, true));
      c.reconnect(error.retryAfterMs, `join_failed:${error.code}`);
    });
  }

  batch(batch: SyncBatch): void {
    if (!this.live()) return;
    this.replies?.progress(batch.topic);
    this.inbound.chain(() => this.conn.apply(batch));
  }

  subscribed(requestId: number, topics: string[]): void {
    this.#answered(requestId);
    this.#afterApply(() => {
      if (this.standby()) this.conn.swap.subscribed(topics);
      else if (this.current()) this.conn.driver.subscribed(requestId, topics);
    });
  }

  subscribeFailed(requestId: number, topics: string[], error: SyncErrorPayload): void {
    this.#answered(requestId);
    this.#afterApply(() => this.#orDrop(`subscribe failed (${error.code})`, () => this.conn.driver.subscribeFailed(requestId, topics, error)));
  }

  /** A subscribe reply arrived: once none is awaited, the socket lets its reply deadline go (an idle live client holds none). */
  #answered(requestId: number): void {
    if (this.replies?.answered(requestId)) this.replies = undefined;
  }

  serverError(error: SyncErrorPayload): void {
    this.#afterApply(() => this.#orDrop(`server error (${error.code})`, () => this.conn.driver.serverError(error)));
  }

  heartbeat(watermarks: Record<string, number>): void {
    if (this.current()) this.conn.hooks.heartbeat(watermarks);
  }

  channelDown(reason: string): void {
    this.#orDrop(reason, () => {
      this.conn.fail(ErrorCodes.CHANNEL_CLOSED, `channel closed by the server (${reason})`);
      this.conn.reconnect(undefined, reason);
    });
  }

  protocolError(error: KhalaSyncError): void {
    if (!this.live()) return;
    countRejected(this.conn.metrics, error.code);
    this.conn.hooks.error(error);
    if (error.code === ErrorCodes.FRAME_TOO_LARGE && error.topic !== undefined) this.conn.driver.oversized(error.topic);
  }

  lastApplied(topic: string): number | undefined {
    return this.conn.driver.lastApplied(topic);
  }

  carriesHashes(topic: string): boolean {
    return this.conn.driver.carriesHashes(topic);
  }

  notice(notice: LaneNotice): void {
    if (this.live()) this.conn.notify(notice);
  }

  report(error: KhalaSyncError): void {
    if (this.live()) this.conn.hooks.error(error);
  }

  // Replies and errors act after the batches of the same inbound frame have committed.
  #afterApply(act: () => void): void {
    this.inbound.after(() => {
      act();
      this.conn.refresh();
    });
  }

  // Anything but data and a subscribe ok on a standby gives it up; the current socket carries on.
  #orDrop(what: string, act: () => void): void {
    if (this.standby()) this.conn.swap.drop(ErrorCodes.CHANNEL_CLOSED, what);
    else if (this.current()) act();
  }
}
