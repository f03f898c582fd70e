import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import { TransportError } from '../errors/transport-error.js';
import { emptyRecord } from '../util/records.js';
import type { ClientStatus } from './options.js';
import type { ReplayDriver } from './replay-driver.js';
import type { SocketLink } from './socket-link.js';
import { StandbyLink } from './standby-link.js';
import type { TokenGrant } from './token-provider.js';
import { settled } from './topic-phases.js';

/** What a swap needs from its connection. */
export interface SwapHost {
  readonly driver: ReplayDriver;
  /** The connection's status now (a swap starts only when `live`). */
  status(): ClientStatus;
  /** Open a socket with `token` (it counts as live while it is the standby). */
  open(token: string): SocketLink;
  /** How long the standby has to join, subscribe and commit its replay, ms. */
  readonly joinTimeoutMs: number;
  /** The standby took over: make its link the current socket and close the old one. */
  promote(standby: StandbyLink): void;
  /** Track a closing socket until it is released. */
  release(closing: void | Promise<void>): void;
}

/**
 * The make-before-break half of a connection (docs/spacetime-lane.md): a second socket opened with a
 * fresh token joins, resubscribes every wanted topic from its committed watermark, and replaces the
 * current socket once its replay committed. Anything going wrong gives the standby up and leaves the
 * current socket untouched.
 */
export class SocketSwap {
  /** The socket being made ready to take over, while a refresh runs. */
  standby: StandbyLink | undefined;

  readonly #host: SwapHost;

  constructor(host: SwapHost) {
    this.#host = host;
  }

  /** The standby whose socket is `link`, if it is one. */
  of(link: SocketLink): StandbyLink | undefined {
    return link === this.standby?.link ? this.standby : undefined;
  }

  /** Open a standby socket with `grant`; resolves once it replaced the current one. */
  start(grant: TokenGrant): Promise<void> {
    const status = this.#host.status();
    if (status !== 'live' || this.standby !== undefined) return Promise.reject(new TransportError(ErrorCodes.CHANNEL_CLOSED, `not live (${status})`));
    const standby = new StandbyLink(this.#host.open(grant.token), grant, Date.now());
    this.standby = standby;
    const ms = this.#host.joinTimeoutMs;
    standby.link.timer('standby', ms, () => this.drop(ErrorCodes.REPLY_TIMEOUT, `not live within ${ms} ms`));
    return standby.done;
  }

  /** The standby joined: subscribe every wanted topic from its committed watermark. */
  joined(standby: StandbyLink): void {
    const driver = this.#host.driver;
    if (!settled(driver.topics())) return this.drop(ErrorCodes.CHANNEL_CLOSED, 'a topic is catching up or recovering');
    const topics = this.#wantedTopics();
    const resumeAfter: Record<string, number> = emptyRecord();
    for (const t of topics) {
      const w = driver.lastApplied(t);
      if (w !== undefined) resumeAfter[t] = w;
    }
    standby.subscribe(topics, resumeAfter);
    if (topics.length === 0) this.#switchOver(standby);
  }

  /** Subscribe oks arrived on the standby; it takes over once every topic was answered. */
  subscribed(standby: StandbyLink, topics: readonly string[]): void {
    if (standby.subscribed(topics)) this.#switchOver(standby);
  }

  /** Give the standby up (the current socket is untouched) and fail its refresh attempt with `code`. */
  drop(code: ErrorCode, why: string, details?: Record<string, unknown>): void {
    const standby = this.standby;
    if (standby === undefined) return;
    this.standby = undefined;
    this.#host.release(standby.link.close(1000, 'token refresh abandoned'));
    standby.settle(new TransportError(code, `standby socket: ${why}`, details === undefined ? {} : { details }));
  }

  /**
   * The standby is subscribed and its replay committed: it becomes the current socket, the old one
   * is closed. The driver is not told: its topics stay live, so no status changes and nothing is
   * replayed to the app — the standby's rows at or below the watermark were dropped as duplicates.
   */
  #switchOver(standby: StandbyLink): void {
    if (!settled(this.#host.driver.topics()) || !standby.covers(this.#wantedTopics())) return this.drop(ErrorCodes.CHANNEL_CLOSED, 'subscriptions changed during the refresh');
    this.standby = undefined;
    this.#host.promote(standby);
    standby.settle();
  }

  /** Topics a socket must carry: every subscribed topic that has not failed. */
  #wantedTopics(): string[] {
    return [...this.#host.driver.topics()].filter((t) => t.phase !== 'failed').map((t) => t.topic);
  }
}
