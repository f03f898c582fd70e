import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
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
  link.timer('join', ms, () => missed(host, ErrorCodes.CONNECT_FAILED, `no WebSocket handshake within ${ms} ms`, 'open_timeout'));
}

/** Give the lane's join `ms` once the socket is open (`join_timeout`); cleared when it joined. */
export function awaitJoin(link: SocketLink, ms: number, host: DeadlineHost): void {
  link.timer('join', ms, () => missed(host, ErrorCodes.REPLY_TIMEOUT, `no join reply within ${ms} ms`, 'join_timeout'));
}

/** Declare the socket dead after `deadAfterMs` of inbound silence (`heartbeat_timeout`). */
export function watchSilence(link: SocketLink, deadAfterMs: number, host: DeadlineHost): void {
  link.watch(deadAfterMs, () => missed(host, ErrorCodes.HEARTBEAT_TIMEOUT, `no inbound frame for ${deadAfterMs} ms; connection declared dead`, 'heartbeat_timeout'));
}

/**
 * The socket's subscribe reply deadline, made by its first subscribe: no reply within `ms` of the
 * last progress is `reply_timeout` and a reconnect (SPEC.md S8).
 */
export function subscribeReplies(link: SocketLink, ms: number, host: DeadlineHost): ReplyDeadline {
  return (link.replies ??= new ReplyDeadline(link, ms, () => missed(host, ErrorCodes.REPLY_TIMEOUT, `no subscribe reply within ${ms} ms`, 'subscribe_timeout')));
}

/** Every missed deadline ends the same way: a retryable transport error, then a reconnect. */
function missed(host: DeadlineHost, code: ErrorCode, message: string, reason: string): void {
  host.error(new TransportError(code, message, { retryable: true }));
  host.reconnect(undefined, reason);
}
