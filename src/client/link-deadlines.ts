import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { TransportError } from '../errors/transport-error.js';
import { ReplyDeadline } from './reply-deadline.js';
import type { SocketLink } from './socket-link.js';

/** What a missed deadline of the current socket does: report it and reconnect. */
export interface DeadlineHost {
  error(error: KhalaSyncError): void;
  reconnect(afterMs: number | undefined, reason: string): void;
}

/**
 * Give the WebSocket handshake `ms` (`open_timeout`). Replaced by the join deadline once open: a peer
 * that takes the TCP connection and never answers the upgrade would otherwise hold `connecting` for good.
 */
export function awaitHandshake(link: SocketLink, ms: number, host: DeadlineHost): void {
  link.timer('join', ms, () => {
    host.error(new TransportError(ErrorCodes.CONNECT_FAILED, `no WebSocket handshake within ${ms} ms`, { retryable: true }));
    host.reconnect(undefined, 'open_timeout');
  });
}

/** Give the lane's join `ms` once the socket is open (`join_timeout`); cleared when it joined. */
export function awaitJoin(link: SocketLink, ms: number, host: DeadlineHost): void {
  link.timer('join', ms, () => {
    host.error(new TransportError(ErrorCodes.REPLY_TIMEOUT, `no join reply within ${ms} ms`, { retryable: true }));
    host.reconnect(undefined, 'join_timeout');
  });
}

/** Declare the socket dead after `deadAfterMs` of inbound silence (`heartbeat_timeout`). */
export function watchSilence(link: SocketLink, deadAfterMs: number, host: DeadlineHost): void {
  link.watch(deadAfterMs, () => {
    host.error(new TransportError(ErrorCodes.HEARTBEAT_TIMEOUT, `no inbound frame for ${deadAfterMs} ms; connection declared dead`, { retryable: true }));
    host.reconnect(undefined, 'heartbeat_timeout');
  });
}

/**
 * The socket's subscribe reply deadline, made by its first subscribe: no reply within `ms` of the
 * last progress is `reply_timeout` and a reconnect (SPEC.md S8).
 */
export function subscribeReplies(link: SocketLink, ms: number, host: DeadlineHost): ReplyDeadline {
  return (link.replies ??= new ReplyDeadline(link, ms, () => {
    host.error(new TransportError(ErrorCodes.REPLY_TIMEOUT, `no subscribe reply within ${ms} ms`, { retryable: true }));
    host.reconnect(undefined, 'subscribe_timeout');
  }));
}
