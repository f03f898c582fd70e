import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { TransportError } from '../errors/transport-error.js';
import { MAX_TIMER_MS } from '../util/timers.js';
import { emptyRecord } from '../util/records.js';
import type { Connection } from './connection.js';
import { SocketLink } from './socket-link.js';
import type { TokenGrant } from './token-provider.js';
import { settled } from './topic-phases.js';
import { retryDelay } from './backoff.js';

/** Longest head start a refresh takes before `refresh_after_in` elapses, ms. */
export const REFRESH_LEAD_MAX_MS = 5000;

/**
 * Shortest time between the starts of two refreshes, ms: a `refresh_after_in` of 0.0001 s would
 * otherwise replace the socket once per round trip (32 times a second on loopback). Later than
 * asked is safe: the server checks a token only at upgrade, and a reconnect mints a fresh one.
 */
export const MIN_REFRESH_INTERVAL_MS = 1000;

/**
 * Replaces the connection's socket before its token's `refresh_after_in` elapses. The server checks
 * a token only at upgrade, so expiry never closes a live socket; what expires is the ability to
 * reconnect with it. The refresh therefore runs make-before-break (docs/spacetime-lane.md): a
 * standby socket opened with a fresh token joins, resubscribes every wanted topic from its
 * committed watermark, and replaces the current socket once its replay committed. Anything going
 * wrong gives the standby up, keeps the current socket and retries with backoff. One refresh runs
 * at a time; `cancel` (the socket went away) forgets everything.
 */
export class TokenRefresh {
  /** The standby socket, while a refresh runs. */
  link: SocketLink | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due: number | undefined;
  #attempt = 0;
  /** Date.now() when the last refresh started; -Infinity before the first. */
  #lastStart = -Infinity;
  /** Bumped by `cancel` and `arm`: an attempt that finishes after it no longer counts. */
  #epoch = 0;
  /**
   * A grant whose socket's refresh is not armed yet, and when it was fetched: the current socket's
   * until it first goes live, the standby's until it took over (the overlap is measured from there).
   */
  #grant: TokenGrant | undefined;
  #at = 0;
  /** The topics subscribed on the standby, and those not yet answered. */
  #topics: string[] | undefined;
  #waiting: Set<string> | undefined;

  readonly #c: Connection;

  constructor(c: Connection) {
    this.#c = c;
  }

  /** Unix ms when the next refresh starts; undefined when none is scheduled. */
  dueAt(): number | undefined {
    return this.#due;
  }

  /** The current socket is opened with `grant`, fetched at `fetchedAt`; its refresh is armed when it first goes live. */
  use(grant: TokenGrant, fetchedAt: number): void {
    this.#grant = grant;
    this.#at = fetchedAt;
  }

  /** The current socket went live: arm its refresh, once per socket (with option `tokenRefresh`). */
  live(): void {
    const grant = this.#grant;
    this.#grant = undefined;
    if (grant !== undefined && this.#c.settings.tokenRefresh) this.#arm(grant, this.#at);
  }

  /**
   * The socket opened with `grant`, fetched at `fetchedAt`, is current: schedule its replacement a
   * little before `refresh_after_in` elapses (10 % of it, at most {@link REFRESH_LEAD_MAX_MS}), and
   * no sooner than {@link MIN_REFRESH_INTERVAL_MS} after the last refresh started.
   * A grant without `refresh_after_in` schedules nothing.
   */
  #arm(grant: TokenGrant, fetchedAt: number): void {
    this.cancel();
    this.#attempt = 0;
    const after = grant.refreshAfterMs;
    if (after === undefined) return;
    const lead = Math.min(after / 10, REFRESH_LEAD_MAX_MS);
    const now = Date.now();
    this.#schedule(Math.max(0, fetchedAt + after - lead - now, this.#lastStart + MIN_REFRESH_INTERVAL_MS - now));
  }

  /** Stop: no refresh is pending, a standby is closed and a token fetch still running is ignored when it ends. */
  cancel(): void {
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = undefined;
    this.#close();
  }

  #schedule(wantedMs: number): void {
    clearTimeout(this.#timer);
    // `refresh_after_in` is the token endpoint's number: past the largest delay a timer honours it
    // would fire at once, and every refresh would schedule the next one at once. Sooner is safe.
    const delayMs = Math.min(wantedMs, MAX_TIMER_MS);
    this.#due = Date.now() + delayMs;
    const epoch = this.#epoch;
    this.#timer = setTimeout(() => void this.#run(epoch), delayMs);
  }

  async #run(epoch: number): Promise<void> {
    this.#lastStart = Date.now();
    try {
      const grant = await this.#c.settings.token();
      if (epoch === this.#epoch) this.#start(grant);
    } catch (err) {
      if (epoch === this.#epoch) this.#failed(err);
    }
  }

  /**
   * A refresh attempt failed (`token_refresh_failed`): the current socket is kept and another attempt
   * scheduled after the backoff, and no sooner than the token endpoint's `Retry-After` (`details.retryAfterMs`, at most `maxRetryAfterMs`).
   */
  #failed(err: unknown): void {
    const n = ++this.#attempt;
    const settings = this.#c.settings;
    const delay = retryDelay(settings.reconnectDelay, n, isKhalaSyncError(err) ? err.details.retryAfterMs : undefined, settings.maxRetryAfterMs);
    const code = isKhalaSyncError(err) ? err.code : 'unknown';
    const error = new KhalaSyncError('client', ErrorCodes.TOKEN_REFRESH_FAILED, `token refresh failed (${isKhalaSyncError(err) ? `${code}: ${err.message}` : String(err)}); retry ${n} in ${delay} ms`, {
      retryable: true,
      cause: err,
      details: { attempt: n, retryInMs: delay, cause: code },
    });
    this.#c.notify({ type: 'token_refresh', outcome: 'failed', overlapMs: 0, code });
    this.#c.hooks.error(error);
    this.#schedule(delay);
  }

  /** Open a standby socket with `grant` (only when live); it takes over once its replay committed. */
  #start(grant: TokenGrant): void {
    const status = this.#c.status;
    if (status !== 'live' || this.link !== undefined) throw new TransportError(ErrorCodes.CHANNEL_CLOSED, `not live (${status})`);
    const link = new SocketLink(this.#c, grant.token);
    this.link = link;
    this.#grant = grant;
    this.#at = Date.now();
    this.#topics = this.#waiting = undefined;
    const ms = this.#c.settings.joinTimeoutMs;
    link.timer('standby', ms, () => this.drop(ErrorCodes.REPLY_TIMEOUT, `not live within ${ms} ms`));
  }

  /** The standby joined: subscribe every wanted topic from its committed watermark. */
  joined(): void {
    const driver = this.#c.driver;
    if (!settled(driver.topics())) return this.drop(ErrorCodes.CHANNEL_CLOSED, 'a topic is not live');
    const topics = (this.#topics = this.#wanted());
    this.#waiting = new Set(topics);
    const resumeAfter: Record<string, number> = emptyRecord();
    for (const t of topics) {
      const w = driver.lastApplied(t);
      if (w !== undefined) resumeAfter[t] = w;
    }
    if (topics.length === 0) return this.#switchOver();
    this.link!.session?.subscribe(topics, resumeAfter);
  }

  /** Subscribe oks arrived on the standby; it takes over once every topic was answered. */
  subscribed(topics: readonly string[]): void {
    for (const t of topics) this.#waiting?.delete(t);
    if (!this.#waiting?.size) this.#switchOver();
  }

  /** Give the standby up (the current socket is untouched) and fail its refresh attempt with `code`. */
  drop(code: ErrorCode, why: string, details?: Record<string, unknown>): void {
    if (this.#close()) this.#failed(new TransportError(code, `standby socket: ${why}`, { details }));
  }

  /** Close the standby socket; false when there is none. */
  #close(): boolean {
    const link = this.link;
    this.link = this.#grant = undefined;
    this.#c.track(link?.close(1000, 'token refresh abandoned'));
    return link !== undefined;
  }

  /**
   * The standby is subscribed and its replay committed: it becomes the current socket, the old one
   * is closed. The driver is not told: its topics stay live, so no status changes and nothing is
   * replayed to the app — the standby's rows at or below the watermark were dropped as duplicates.
   */
  #switchOver(): void {
    const wanted = this.#wanted();
    const topics = this.#topics ?? [];
    if (!settled(this.#c.driver.topics()) || wanted.length !== topics.length || !wanted.every((t) => topics.includes(t))) return this.drop(ErrorCodes.CHANNEL_CLOSED, 'subscriptions changed');
    const link = this.link!;
    this.link = undefined;
    this.#c.adopt(link, this.#at);
    this.#arm(this.#grant!, this.#at);
  }

  /** Topics a socket must carry: every subscribed topic that has not failed. */
  #wanted(): string[] {
    return [...this.#c.driver.topics()].filter((t) => t.phase !== 'failed').map((t) => t.topic);
  }
}
