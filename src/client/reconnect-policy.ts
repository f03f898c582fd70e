import { frameTooLarge } from '../adapters/frame-too-large.js';
import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import { TransportError } from '../errors/transport-error.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo } from '../transport/transport.js';
import { TERMINAL, type ConnectionHooks, type ConnectionSettings } from './connection-settings.js';
import { connectionMetrics, countRejected, type ConnectionMetrics } from './metrics.js';
import type { ClientStatus } from './options.js';
import { tokenFailure } from './token-provider.js';
import { retryDelay } from './backoff.js';

/**
 * Close codes that mean "the server turned this session away" when they end an open socket before
 * the subscription ever went live (since `connect()`): going away (1001, e.g. the module exited), protocol error (1002),
 * unacceptable data (1003), invalid payload (1007), policy violation (1008), internal error (1011).
 * A plain drop (1006), a normal close (1000) and "try again later" (1013) are not refusals.
 */
export const REFUSAL_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1002, 1003, 1007, 1008, 1011]);

/** How a close is named in messages: the refused upgrade's HTTP status, else the close code. */
export function closeName(info: CloseInfo): string {
  return info.httpStatus ? `HTTP ${info.httpStatus}` : `close ${info.code}`;
}

/**
 * The half of a connection that decides what follows a failure, and when it dials next: the
 * attempt count behind the backoff (it starts over once a connection stayed live for
 * `stableAfterMs`), a floor a server asked for (`retry_after`), the pending reconnect timer, a hold
 * while the network is down, the one retry of a refused upgrade, and the count of identical
 * refusals. The connection extends it: one object per client (docs/benchmarks.md, heap per idle client).
 *
 * Identical refusals in a row (same close code and reason) mean the server will keep answering the
 * same way (an incompatible module, a schema it cannot serve), so after `maxRefusals` of them the
 * client stops instead of reconnecting forever; a refusal that differs starts the count over. Once
 * the subscription has gone live, closes stop being refusals until the next `connect()`: a server
 * that served us once is restarting or redeploying, and a desktop session must ride that out. The
 * reason is kept verbatim here; the client's SecretScrubber removes any token when it is emitted.
 */
export abstract class ReconnectPolicy {
  status: ClientStatus = 'idle';
  /** Counters this connection keeps (plain fields: read them, never write them). */
  readonly metrics: ConnectionMetrics = connectionMetrics();
  /** The upgrade was already retried once with a fresh token since the last open. */
  authRetried = false;
  /** Reconnects since the connection was last stable (1-based once one is scheduled). */
  #attempt = 0;
  /** While true (the network is down), due attempts wait instead of dialling. */
  #held = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  /** Close code and reason of the latest refusal, and how many identical ones came in a row. */
  #refusal: string | undefined;
  #refusals = 0;
  /** The subscription went live since `connect()`: closes are ordinary drops until `restart()`. */
  #everLive = false;

  constructor(
    readonly settings: ConnectionSettings,
    /** Where the connection reports to its client. */
    readonly hooks: ConnectionHooks,
  ) {}

  /** Close for good (until `start` is called again) with the given terminal status. */
  abstract stop(status?: ClientStatus, reason?: string): void;

  /** Fetch a token and open a socket with it. */
  abstract dial(): Promise<void>;

  /** Report a transport error: retryable unless `retryable` is false. */
  fail(code: ErrorCode, message: string, details?: Record<string, unknown>, retryable = true): void {
    this.hooks.error(new TransportError(code, message, { retryable, details }));
  }

  setStatus(status: ClientStatus, reason?: string): void {
    if (this.status === status) return;
    this.status = status;
    this.hooks.status(status, reason);
  }

  /** `connect()` was called: a fresh session, no attempt counted, nothing refused and never live. */
  restart(): void {
    this.#attempt = 0;
    this.authRetried = false;
    // A refusal unlike the last one (none) counts from 1.
    this.#refusal = undefined;
    this.#everLive = false;
  }

  /** A reconnect timer is running. */
  pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Hold reconnect attempts while the network is down; releasing dials at once if one was due. */
  holdReconnects(held: boolean): void {
    this.#held = held;
    if (this.status !== 'backoff') return;
    this.cancel();
    if (!held) void this.dial();
  }

  /** The subscription went live: start the attempt count over after `stableAfterMs` if still live then. */
  wentLive(): void {
    this.#everLive = true;
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      if (this.status === 'live') this.#attempt = 0;
    }, this.settings.stableAfterMs);
  }

  /** Forget the pending reconnect (`stable`: and the stability timer: the socket went away). */
  cancel(stable?: boolean): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (stable) clearTimeout(this.#stableTimer);
  }

  /** Reconnect after the backoff, no sooner than `afterMs` (a server's wish: at most `maxRetryAfterMs`); `reason` says why. */
  scheduleReconnect(reason: string, afterMs?: number): void {
    if (TERMINAL.has(this.status)) return;
    const delayMs = retryDelay(this.settings.reconnectDelay, ++this.#attempt, afterMs, this.settings.maxRetryAfterMs);
    this.metrics.reconnects++;
    this.hooks.reconnecting({ attempt: this.#attempt, delayMs, reason });
    this.setStatus('backoff', reason);
    clearTimeout(this.#timer);
    // Held: releasing the hold dials.
    if (this.#held) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.dial();
    }, delayMs);
  }

  /** The token source failed: sign-in required and insecure transport stop, anything else backs off (at least the endpoint's `Retry-After`). */
  tokenFailed(err: unknown): void {
    const { error, stop } = tokenFailure(err);
    if (stop?.[0] === 'auth_required') this.hooks.authFailure({ httpStatus: 401, reason: 'sign_in_required', refreshAttempted: false });
    this.hooks.error(error);
    return stop === undefined ? this.scheduleReconnect('token_provider_failed', (error.details as { retryAfterMs?: number }).retryAfterMs) : this.stop(stop[0], stop[1]);
  }

  /**
   * The server picked a subprotocol the lane does not speak (`selected` undefined: one the
   * transport could not use): retrying would get the same answer, so stop until the app acts.
   */
  mismatched(offered: string[], selected: string | undefined): void {
    const what = selected === undefined ? 'an unusable subprotocol' : `subprotocol "${selected.slice(0, 80)}"`;
    this.fail(ErrorCodes.SUBPROTOCOL_MISMATCH, `server selected ${what}, expected one of ${offered.join(', ')}`, { offered: [...offered], selected: selected?.slice(0, 80) ?? null }, false);
    this.stop('upgrade_required', 'subprotocol_mismatch');
  }

  /**
   * The current socket closed (`wasOpen`: after its transport opened) and was torn down: report why,
   * then retry a refused upgrade once at once, stop (a subprotocol mismatch, `maxRefusals` identical
   * refusals in a row) or reconnect after the backoff. Nothing follows in a terminal status.
   */
  linkClosed(info: CloseInfo, wasOpen: boolean): void {
    const offered = this.settings.lane.protocols;
    if (!wasOpen && info.reason === SUBPROTOCOL_MISMATCH_REASON && offered?.length) return this.mismatched(offered, undefined);
    if (TERMINAL.has(this.status)) return;
    const { code, httpStatus } = info;
    if (!wasOpen && (httpStatus === 401 || httpStatus === 403)) {
      this.hooks.authFailure({ httpStatus, reason: 'upgrade_refused', refreshAttempted: this.authRetried });
      // An expired token and a bad one look alike (§1.1): mint a fresh one and try once at once.
      if (!this.authRetried) {
        this.authRetried = true;
        return void this.dial();
      }
      this.fail(ErrorCodes.AUTH_REFUSED, `upgrade refused with HTTP ${httpStatus} twice with fresh tokens`, { httpStatus });
    } else if (!wasOpen) {
      this.fail(ErrorCodes.CONNECT_FAILED, `connection failed (${closeName(info)})`, { code, httpStatus });
    } else if (!this.#everLive && REFUSAL_CLOSE_CODES.has(code)) {
      return this.#refused(code, info.reason.slice(0, 200));
    } else if (code === 1009) {
      countRejected(this.metrics, ErrorCodes.FRAME_TOO_LARGE);
      this.hooks.error(frameTooLarge(undefined, this.settings.maxFrameBytes, undefined, 1009));
    }
    this.scheduleReconnect(wasOpen ? `socket closed (${code})` : 'connect_failed');
  }

  /** The server turned an open socket away before it went live: report it, and stop after `maxRefusals` identical ones in a row. */
  #refused(code: number, reason: string): void {
    const key = `${code}\u0000${reason}`;
    const n = (this.#refusals = key === this.#refusal ? this.#refusals + 1 : 1);
    this.#refusal = key;
    const max = this.settings.maxRefusals;
    const details = { code, reason, consecutive: n, maxRefusals: max };
    this.fail(ErrorCodes.SERVER_REFUSED, `server refused the session (close ${code}${reason && `: ${reason}`})`, details, n < max);
    if (n < max) return this.scheduleReconnect(`server_refused (${code})`);
    this.fail(ErrorCodes.INCOMPATIBLE_SERVER, `server refused the session ${n} times in a row with close ${code}${reason && ` (${reason})`}`, details, false);
    this.stop('incompatible_server', ErrorCodes.INCOMPATIBLE_SERVER);
  }
}
