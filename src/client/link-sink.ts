import type { LaneNotice, LaneSink } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { ServerError } from '../errors/server-error.js';
import { TransportError } from '../errors/transport-error.js';
import type { SyncBatch, SyncErrorPayload } from '../model/types.js';
import { serverError, STOP_CODES } from '../replay/transitions.js';
import { countRejected, type ConnectionMetrics } from './metrics.js';
import type { ReplayDriver } from './replay-driver.js';
import type { SocketLink } from './socket-link.js';
import type { SocketSwap } from './socket-swap.js';

/** What a link's sink acts on: the connection's side of it. */
export interface SinkHost {
  readonly driver: ReplayDriver;
  readonly metrics: ConnectionMetrics;
  readonly swap: SocketSwap;
  /** Whether `link` is the current socket. */
  current(link: SocketLink): boolean;
  /** The current socket joined: the connection starts replaying on it. */
  joined(link: SocketLink): void;
  /** Recompute replaying/live/failed from the topics' phases. */
  refresh(): void;
  /** Report `error` and stop until the app starts again. */
  halt(error: KhalaSyncError): void;
  /** Drop the current socket and reconnect after the backoff, no sooner than `afterMs`. */
  reconnect(afterMs: number | undefined, reason: string): void;
  /** Commit `batch` behind every batch queued from any socket. */
  apply(batch: SyncBatch): Promise<void>;
  notify(notice: LaneNotice): void;
  error(error: KhalaSyncError): void;
  heartbeat(watermarks: Record<string, number>): void;
}

/**
 * What the lane session of `link` calls back: batches go to the commit queue, replies and errors to
 * the replay driver (after the batches of the same inbound frame), and on a standby socket only its
 * join, data and subscribe oks count — anything else gives the standby up.
 */
export function linkSink(host: SinkHost, link: SocketLink): LaneSink {
  return new LinkSink(host, link);
}

// Methods rather than a closure per callback: one per socket of every client (docs/benchmarks.md, figure 4).
class LinkSink implements LaneSink {
  readonly #host: SinkHost;
  readonly #link: SocketLink;

  constructor(
    host: SinkHost,
    link: SocketLink,
  ) {
    this.#host = host;
    this.#link = link;
  }

  ready(): void {
    const s = this.#host.swap.of(this.#link);
    if (s !== undefined) this.#host.swap.joined(s);
    else if (this.#current()) this.#host.joined(this.#link);
  }

  joinFailed(error: SyncErrorPayload): void {
    this.#orDrop(`join failed (${error.code})`, () => {
      this.#link.clear('join');
      if (STOP_CODES.has(error.code)) return this.#host.halt(new ServerError(error.code as never, error.message ?? error.code, { details: { payload: error.raw } }));
      // invalid_payload: a reply the lane could not read, which it has reported already.
      if (error.code !== ErrorCodes.INVALID_PAYLOAD) this.#host.error(serverError(error, undefined, true));
      this.#host.reconnect(error.retryAfterMs, `join_failed:${error.code}`);
    });
  }

  batch(batch: SyncBatch): void {
    if (!this.#link.live()) return;
    this.#link.replies?.progress(batch.topic);
    this.#link.inbound.chain(() => this.#host.apply(batch));
  }

  subscribed(requestId: number, topics: string[]): void {
    this.#answered(requestId);
    this.#afterApply(() => {
      const s = this.#host.swap.of(this.#link);
      if (s !== undefined) this.#host.swap.subscribed(s, topics);
      else if (this.#current()) this.#host.driver.subscribed(requestId, topics);
    });
  }

  subscribeFailed(requestId: number, topics: string[], error: SyncErrorPayload): void {
    this.#answered(requestId);
    this.#afterApply(() => this.#orDrop(`subscribe failed (${error.code})`, () => this.#host.driver.subscribeFailed(requestId, topics, error)));
  }

  /** A subscribe reply arrived: once none is awaited, the socket lets its reply deadline go. */
  #answered(requestId: number): void {
    if (this.#link.replies?.answered(requestId)) this.#link.replies = undefined;
  }

  serverError(error: SyncErrorPayload): void {
    this.#afterApply(() => this.#orDrop(`server error (${error.code})`, () => this.#host.driver.serverError(error)));
  }

  heartbeat(watermarks: Record<string, number>): void {
    if (this.#current()) this.#host.heartbeat(watermarks);
  }

  channelDown(reason: string): void {
    this.#orDrop(reason, () => {
      this.#host.error(new TransportError(ErrorCodes.CHANNEL_CLOSED, `server ended the channel (${reason}) while the socket stayed open`, { retryable: true }));
      this.#host.reconnect(undefined, reason);
    });
  }

  protocolError(error: KhalaSyncError): void {
    if (!this.#link.live()) return;
    countRejected(this.#host.metrics, error.code);
    this.#host.error(error);
    if (error.code === ErrorCodes.FRAME_TOO_LARGE && error.topic !== undefined) this.#host.driver.oversized(error.topic);
  }

  lastApplied(topic: string): number | undefined {
    return this.#host.driver.lastApplied(topic);
  }

  carriesHashes(topic: string): boolean {
    return this.#host.driver.carriesHashes(topic);
  }

  notice(notice: LaneNotice): void {
    if (this.#link.live()) this.#host.notify(notice);
  }

  report(error: KhalaSyncError): void {
    if (this.#link.live()) this.#host.error(error);
  }

  #current(): boolean {
    return this.#host.current(this.#link);
  }

  // Replies and errors act after the batches of the same inbound frame have committed.
  #afterApply(act: () => void): void {
    this.#link.inbound.after(() => {
      act();
      this.#host.refresh();
    });
  }

  // Anything but data and a subscribe ok on a standby gives it up; the current socket carries on.
  #orDrop(what: string, act: () => void): void {
    if (this.#host.swap.of(this.#link) !== undefined) this.#host.swap.drop(ErrorCodes.CHANNEL_CLOSED, what);
    else if (this.#current()) act();
  }
}
