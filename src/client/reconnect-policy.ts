import { frameTooLarge } from '../adapters/frame-too-large.js';
import { ErrorCodes } from '../errors/codes.js';
import { TransportError } from '../errors/transport-error.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo } from '../transport/transport.js';
import { TERMINAL, type ConnectionHooks, type ConnectionSettings } from './connection-settings.js';
import { subprotocolMismatch } from './link-open.js';
import { countRejected, type ConnectionMetrics } from './metrics.js';
import type { ClientStatus } from './options.js';
import { REFUSAL_CLOSE_CODES, type RefusalCounter } from './refusals.js';
import { SignInRequiredError, tokenFailure } from './token-provider.js';

/** What the reconnect policy acts through: the connection's side. */
export interface PolicyHost {
  readonly status: ClientStatus;
  readonly metrics: ConnectionMetrics;
  readonly hooks: ConnectionHooks;
  /** The upgrade was already retried once with a fresh token since the last open. */
  readonly authRetried: boolean;
  /** Stop for good (until `start`) with `status`. */
  stop(status: ClientStatus, reason?: string): void;
  /** Reconnect after the backoff, no sooner than `afterMs` (a server's wish, capped); `reason` says why. */
  scheduleReconnect(reason: string, afterMs?: number): void;
  /** Dial again at once with a fresh token, counting it as the one retry of a refused upgrade. */
  redial(): void;
}

/** The token source failed: sign-in required and insecure transport stop, anything else backs off (at least the endpoint's `Retry-After`). */
export function tokenFailed(host: PolicyHost, err: unknown): void {
  const { error, stop } = tokenFailure(err);
  if (error instanceof SignInRequiredError) host.hooks.authFailure({ httpStatus: 401, reason: 'sign_in_required', refreshAttempted: false });
  host.hooks.error(error);
  return stop === undefined ? host.scheduleReconnect('token_provider_failed', (error.details as { retryAfterMs?: number } | undefined)?.retryAfterMs) : host.stop(stop[0], stop[1]);
}

/** The server picked a subprotocol the lane does not speak: retrying would get the same answer, so stop until the app acts. */
export function mismatched(host: PolicyHost, offered: string[], selected: string | undefined): void {
  host.hooks.error(subprotocolMismatch(offered, selected));
  host.stop('upgrade_required', 'subprotocol_mismatch');
}

/**
 * The current socket closed (`wasOpen`: after its transport opened) and was torn down: report why,
 * then retry a refused upgrade once at once, stop (a subprotocol mismatch, `maxRefusals` identical
 * refusals in a row) or reconnect after the backoff. Nothing follows in a terminal status.
 */
export function linkClosed(host: PolicyHost, settings: ConnectionSettings, refusals: RefusalCounter, info: CloseInfo, wasOpen: boolean): void {
  const offered = settings.lane.protocols;
  if (!wasOpen && info.reason === SUBPROTOCOL_MISMATCH_REASON && offered !== undefined && offered.length > 0) return mismatched(host, offered, undefined);
  if (TERMINAL.has(host.status)) return;
  if (!wasOpen && (info.httpStatus === 401 || info.httpStatus === 403)) {
    host.hooks.authFailure({ httpStatus: info.httpStatus, reason: 'upgrade_refused', refreshAttempted: host.authRetried });
    // An expired token and a bad one look alike (§1.1): mint a fresh one and try once at once.
    if (!host.authRetried) return host.redial();
    host.hooks.error(new TransportError(ErrorCodes.AUTH_REFUSED, `upgrade refused with HTTP ${info.httpStatus} twice with fresh tokens`, { retryable: true, details: { httpStatus: info.httpStatus } }));
  } else if (!wasOpen) {
    host.hooks.error(new TransportError(ErrorCodes.CONNECT_FAILED, `connection failed (${info.httpStatus ? `HTTP ${info.httpStatus}` : `close ${info.code}`})`, { retryable: true, details: { code: info.code, httpStatus: info.httpStatus } }));
  } else if (refusals.counts() && REFUSAL_CLOSE_CODES.has(info.code)) {
    return refused(host, refusals, info.code, info.reason);
  } else if (info.code === 1009) {
    countRejected(host.metrics, ErrorCodes.FRAME_TOO_LARGE);
    host.hooks.error(frameTooLarge(undefined, settings.maxFrameBytes, undefined, 1009));
  }
  host.scheduleReconnect(wasOpen ? `socket closed (${info.code})` : 'connect_failed');
}

/** The server turned an open socket away before it went live: report it, and stop after `maxRefusals` in a row. */
function refused(host: PolicyHost, refusals: RefusalCounter, code: number, reason: string): void {
  const { error, stop } = refusals.refused(code, reason);
  host.hooks.error(error);
  if (stop === undefined) return host.scheduleReconnect(`server_refused (${code})`);
  host.hooks.error(stop);
  host.stop('incompatible_server', ErrorCodes.INCOMPATIBLE_SERVER);
}
