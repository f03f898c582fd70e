import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import type { TokenGrant } from './token-provider.js';
import { MAX_TIMER_MS } from '../util/timers.js';

/** Longest head start a refresh takes before `refresh_after_in` elapses, ms. */
export const REFRESH_LEAD_MAX_MS = 5000;

/**
 * Shortest time between the starts of two refreshes, ms: a `refresh_after_in` of 0.0001 s would
 * otherwise replace the socket once per round trip (32 times a second on loopback). Later than
 * asked is safe: the server checks a token only at upgrade, and a reconnect mints a fresh one.
 */
export const MIN_REFRESH_INTERVAL_MS = 1000;

/** What the scheduler drives. */
export interface TokenRefreshHost {
  /** Mint a fresh grant (the client's token source). */
  token(): Promise<TokenGrant>;
  /**
   * Open a second socket with `grant`, resubscribe it from the committed watermarks and switch over
   * once it is live. Resolves when the new socket is the current one; rejects (the old socket is
   * kept) when it could not be made live.
   */
  replace(grant: TokenGrant): Promise<void>;
  /** Delay before retry `attempt` (1-based) of a failed refresh. */
  retryDelay(attempt: number): number;
  /** A refresh attempt failed (`token_refresh_failed`); another is scheduled. */
  failed(error: KhalaSyncError): void;
}

/**
 * Replaces the connection's socket before its token's `refresh_after_in` elapses. The server checks
 * a token only at upgrade, so expiry never closes a live socket; what expires is the ability to
 * reconnect with it. The refresh therefore runs make-before-break: the old socket keeps delivering
 * until the new one is live, and a failed refresh keeps the old socket and retries with backoff.
 * One refresh runs at a time; `cancel` (the socket went away) forgets everything.
 */
export class TokenRefresh {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due: number | undefined;
  #attempt = 0;
  /** Date.now() when the last refresh started; -Infinity before the first. */
  #lastStart = -Infinity;
  /** Bumped by `cancel` and `arm`: an attempt that finishes after it no longer counts. */
  #epoch = 0;

  readonly #host: TokenRefreshHost;

  constructor(host: TokenRefreshHost) {
    this.#host = host;
  }

  /** Unix ms when the next refresh starts; undefined when none is scheduled. */
  dueAt(): number | undefined {
    return this.#due;
  }

  /**
   * The current socket was opened with `grant`, fetched at `fetchedAt`: schedule its replacement a
   * little before `refresh_after_in` elapses (10 % of it, at most {@link REFRESH_LEAD_MAX_MS}), and
   * no sooner than {@link MIN_REFRESH_INTERVAL_MS} after the last refresh started.
   * A grant without `refresh_after_in` schedules nothing.
   */
  arm(grant: TokenGrant, fetchedAt: number): void {
    this.cancel();
    this.#attempt = 0;
    const after = grant.refreshAfterMs;
    if (after === undefined) return;
    const lead = Math.min(after / 10, REFRESH_LEAD_MAX_MS);
    const now = Date.now();
    this.#schedule(Math.max(0, fetchedAt + after - lead - now, this.#lastStart + MIN_REFRESH_INTERVAL_MS - now));
  }

  /** Stop: no refresh is pending and a running one is ignored when it ends. */
  cancel(): void {
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = undefined;
  }

  #schedule(wantedMs: number): void {
    clearTimeout(this.#timer);
    // `refresh_after_in` is the token endpoint's number: past the largest delay a timer honours it
    // would fire at once, and every refresh would schedule the next one at once. Sooner is safe.
    const delayMs = Math.min(wantedMs, MAX_TIMER_MS);
    this.#due = Date.now() + delayMs;
    const epoch = this.#epoch;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run(epoch);
    }, delayMs);
  }

  async #run(epoch: number): Promise<void> {
    this.#lastStart = Date.now();
    let grant: TokenGrant;
    try {
      grant = await this.#host.token();
      if (epoch !== this.#epoch) return;
      await this.#host.replace(grant);
    } catch (err) {
      if (epoch !== this.#epoch) return;
      this.#attempt++;
      const delay = this.#host.retryDelay(this.#attempt);
      const cause = isKhalaSyncError(err) ? `${err.code}: ${err.message}` : String(err);
      this.#host.failed(
        new KhalaSyncError('client', ErrorCodes.TOKEN_REFRESH_FAILED, `token refresh failed (${cause}); the current socket is kept, retry ${this.#attempt} in ${delay} ms`, {
          retryable: true,
          cause: err,
          details: { attempt: this.#attempt, retryInMs: delay, cause: isKhalaSyncError(err) ? err.code : 'unknown' },
        }),
      );
      this.#schedule(delay);
    }
  }
}
