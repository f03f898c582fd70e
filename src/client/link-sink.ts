import type { LaneNotice, LaneSink } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { ServerError } from '../errors/server-error.js';
import { TransportError } from '../errors/transport-error.js';
import type { SyncBatch } from '../model/types.js';
import { serverError, STOP_CODES } from '../replay/transitions.js';
import type { ConnectionMetrics } from './metrics.js';
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
  const { driver, swap } = host;
  const current = (): boolean => host.current(link);
  const inbound = link.inbound;
  // Replies and errors act after the batches of the same inbound frame have committed.
  const afterApply = (act: () => void): void =>
    inbound.after(() => {
      act();
      host.refresh();
    });
  // Anything but data and a subscribe ok on a standby gives it up; the current socket carries on.
  const orDrop = (what: string, act: () => void): void => {
    if (swap.of(link) !== undefined) swap.drop(ErrorCodes.CHANNEL_CLOSED, what);
    else if (current()) act();
  };
  return {
    ready: () => {
      const s = swap.of(link);
      if (s !== undefined) swap.joined(s);
      else if (current()) host.joined(link);
    },
    joinFailed: (error) =>
      orDrop(`join failed (${error.code})`, () => {
        link.clear('join');
        if (STOP_CODES.has(error.code)) return host.halt(new ServerError(error.code as never, error.message ?? error.code, { details: { payload: error.raw } }));
        host.error(serverError(error, undefined, true));
        host.reconnect(error.retryAfterMs, `join_failed:${error.code}`);
      }),
    batch: (batch: SyncBatch) => link.live() && inbound.chain(() => host.apply(batch)),
    subscribed: (requestId, topics) =>
      afterApply(() => {
        const s = swap.of(link);
        if (s !== undefined) swap.subscribed(s, topics);
        else if (current()) driver.subscribed(requestId, topics);
      }),
    subscribeFailed: (requestId, topics, error) => afterApply(() => orDrop(`subscribe failed (${error.code})`, () => driver.subscribeFailed(requestId, topics, error))),
    serverError: (error) => afterApply(() => orDrop(`server error (${error.code})`, () => driver.serverError(error))),
    heartbeat: (watermarks) => current() && host.heartbeat(watermarks),
    channelDown: (reason) =>
      orDrop(reason, () => {
        host.error(new TransportError(ErrorCodes.CHANNEL_CLOSED, `server ended the channel (${reason}) while the socket stayed open`, { retryable: true }));
        host.reconnect(undefined, reason);
      }),
    protocolError: (error) => {
      if (!link.live()) return;
      const m = host.metrics;
      m.framesRejected++;
      m.framesRejectedByCode[error.code] = (m.framesRejectedByCode[error.code] ?? 0) + 1;
      host.error(error);
      if (error.code === ErrorCodes.FRAME_TOO_LARGE && error.topic !== undefined) driver.oversized(error.topic);
    },
    lastApplied: (topic) => driver.lastApplied(topic),
    carriesHashes: (topic) => driver.carriesHashes(topic),
    notice: (notice) => link.live() && host.notify(notice),
    report: (error) => link.live() && host.error(error),
  };
}
