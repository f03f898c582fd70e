import type { LaneNotice } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncBatch } from '../model/types.js';
import type { CloseInfo, OpenInfo } from '../transport/transport.js';
import { statusForStopCode, TERMINAL, type ConnectionHooks, type ConnectionSettings } from './connection-settings.js';
import type { ClientStatus } from './options.js';
import { linkClosed, mismatched, tokenFailed, type PolicyHost } from './reconnect-policy.js';
import { awaitHandshake, awaitJoin, subscribeReplies, watchSilence } from './link-deadlines.js';
import { openLink, startSession, subprotocolRejected } from './link-open.js';
import { linkSink } from './link-sink.js';
import type { ProbeResult } from './liveness-probe.js';
import { connectionMetrics, countNotice, type ConnectionMetrics } from './metrics.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import { RefusalCounter } from './refusals.js';
import type { DriverTransport, ReplayDriver } from './replay-driver.js';
import type { SocketLink } from './socket-link.js';
import { SocketLinks, type LinksHost } from './socket-links.js';
import { SocketSwap } from './socket-swap.js';
import { TokenRefresh } from './token-refresh.js';
import { allFailed, settled } from './topic-phases.js';
import type { TokenGrant } from './token-provider.js';

/**
 * One logical connection that outlives its sockets: dial with a fresh token, join, keep alive with
 * heartbeats, declare silence dead, reconnect with backoff, and replace the socket ahead of token
 * expiry without a gap (make-before-break, docs/spacetime-lane.md). It feeds what the lane reports
 * to the replay driver it owns, and is that driver's transport. Inbound frames of a socket are
 * handled strictly one after another; batches of every socket commit through one queue.
 */
export class Connection implements DriverTransport, LinksHost, PolicyHost {
  status: ClientStatus = 'idle';
  /** The replay driver this connection feeds; it sends through this connection. */
  readonly driver: ReplayDriver;
  /** Counters this connection keeps (plain fields: read them, never write them). */
  readonly metrics: ConnectionMetrics = connectionMetrics();
  readonly #links: SocketLinks;
  /** The standby socket of a token refresh (make-before-break). */
  readonly swap: SocketSwap;
  readonly #refresher: TokenRefresh;
  /** The grant the current socket was opened with, and when it was fetched. */
  #grant: { grant: TokenGrant; at: number } | undefined;
  /** The current socket's subscription went live (its token refresh is armed once). */
  #wentLive = false;
  #dialing = 0;
  readonly #schedule: ReconnectSchedule;
  /** The upgrade was already retried once with a fresh token since the last open. */
  authRetried = false;
  readonly #refusals: RefusalCounter;

  readonly #settings: ConnectionSettings;

  constructor(
    settings: ConnectionSettings,
    /** Where the connection reports to its client. */
    readonly hooks: ConnectionHooks,
    createDriver: (transport: DriverTransport) => ReplayDriver,
  ) {
    this.#settings = settings;
    this.driver = createDriver(this);
    this.#refusals = new RefusalCounter(settings.maxRefusals);
    this.#schedule = new ReconnectSchedule((n) => settings.reconnectDelay(n), () => void this.#dial());
    this.#links = new SocketLinks(settings, this);
    this.#refresher = new TokenRefresh({
      token: () => settings.token(),
      replace: (grant) => this.swap.start(grant),
      retryDelay: (n) => settings.reconnectDelay(n),
      failed: (error) => {
        this.notify({ type: 'token_refresh', outcome: 'failed', overlapMs: 0, code: (error.details as { cause?: string } | undefined)?.cause ?? error.code });
        this.hooks.error(error);
      },
    });
    this.swap = new SocketSwap({
      driver: this.driver,
      status: () => this.status,
      open: (token) => openLink(settings, token, this.#links),
      joinTimeoutMs: settings.joinTimeoutMs,
      promote: (standby) => {
        this.#grant = { grant: standby.grant, at: standby.fetchedAt };
        this.#links.adopt(standby.link);
        this.notify({ type: 'token_refresh', outcome: 'switched', overlapMs: Date.now() - standby.startedAt });
        this.#refresher.arm(standby.grant, standby.fetchedAt);
      },
      release: (closing) => this.#links.track(closing),
    });
  }

  /** Start (or restart after a terminal status). */
  start(): void {
    if (this.#links.current !== undefined || this.#schedule.pending()) return;
    this.#schedule.attempt = 0;
    this.authRetried = false;
    this.#refusals.restart();
    void this.#dial();
  }

  /** Close for good (until `start` is called again) with the given terminal status. */
  stop(status: ClientStatus = 'closed', reason?: string): void {
    this.#teardown(1000, reason ?? status);
    this.#setStatus(status, reason);
  }

  /** Drop the current socket and reconnect after the backoff, no sooner than `afterMs` (a server's wish: at most `maxRetryAfterMs`). */
  reconnect(afterMs: number | undefined, reason: string): void {
    if (TERMINAL.has(this.status)) return;
    this.#teardown(4000, reason);
    this.scheduleReconnect(reason, afterMs);
  }

  /** Heartbeat now; `dead` when no frame arrives within `timeoutMs` (socket-links.ts). */
  probe(timeoutMs: number): Promise<ProbeResult> {
    return this.#links.probe(timeoutMs);
  }

  /** Hold reconnect attempts while the network is down; releasing dials at once if one was due. */
  holdReconnects(held: boolean): void {
    this.#schedule.held = held;
    if (this.status !== 'backoff') return;
    this.#schedule.cancel();
    if (!held) void this.#dial();
  }

  /**
   * Send a subscribe through the lane session; returns its request id, or undefined when not joined.
   * No reply within `subscribeTimeoutMs` of the last progress: `reply_timeout` and a reconnect (S8).
   */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number | undefined {
    const link = this.#links.current;
    const session = this.#isJoined() ? link?.session : undefined;
    if (session === undefined) return undefined;
    return subscribeReplies(link!, this.#settings.subscribeTimeoutMs, this).send(topics, () => session.subscribe(topics, resumeAfter));
  }

  /** Send an unsubscribe (dropped when not joined: the next join does not subscribe the topics). */
  unsubscribe(topics: string[]): void {
    if (this.#isJoined()) this.#links.current?.session?.unsubscribe(topics);
  }

  /**
   * Report `error` and stop until the app calls `start` again: status `closed` for a store that
   * cannot go on (SPEC.md C5), else the stop code's (C1).
   */
  halt(error: KhalaSyncError): void {
    this.hooks.error(error);
    this.stop(error.source === 'store' ? 'closed' : statusForStopCode(error.code), error.code);
  }

  // The connection is every link's sink host (link-sink.ts): methods, not a closure per hook, keep
  // an idle client small (docs/benchmarks.md, figure 4).

  /** Whether `link` is the current socket. */
  current(link: SocketLink): boolean {
    return link === this.#links.current;
  }

  /** The current socket joined: start replaying on it. */
  joined(link: SocketLink): void {
    link.clear('join');
    this.#setStatus('replaying');
    link.keepAlive(this.#settings.heartbeatIntervalMs);
    this.driver.ready();
    this.refresh();
  }

  /** Report an error to the client. */
  error(error: KhalaSyncError): void {
    this.hooks.error(error);
  }

  /** Report a server heartbeat's watermarks to the client. */
  heartbeat(watermarks: Record<string, number>): void {
    this.hooks.heartbeat(watermarks);
  }

  /** Inbound frames (and their bytes) received on the current socket but not yet handled. */
  inboundBacklog(): { frames: number; bytes: number; paused: boolean } {
    return this.#links.backlog();
  }

  /** Unix ms when the next token refresh starts; undefined when none is scheduled. */
  tokenRefreshAt(): number | undefined {
    return this.#refresher.dueAt();
  }

  /** Resolves once every socket this connection closed is released. */
  released(): Promise<void> {
    return this.#links.released();
  }

  #isJoined(): boolean {
    return this.status === 'replaying' || this.status === 'live' || this.status === 'failed';
  }

  /** Recompute replaying/live/failed from the topics' phases. */
  refresh(): void {
    if (!this.#isJoined()) return;
    const next = allFailed(this.driver.topics()) ? 'failed' : settled(this.driver.topics()) ? 'live' : 'replaying';
    if (next === this.status) return;
    this.#setStatus(next);
    if (next !== 'live') return;
    if (!this.#wentLive && this.#grant !== undefined && this.#settings.tokenRefresh) this.#refresher.arm(this.#grant.grant, this.#grant.at);
    this.#wentLive = true;
    this.#refusals.wentLive();
    this.#schedule.stable(this.#settings.stableAfterMs, () => this.status === 'live');
  }

  #setStatus(status: ClientStatus, reason?: string): void {
    if (this.status === status) return;
    this.status = status;
    this.hooks.status(status, reason);
  }

  async #dial(): Promise<void> {
    const attempt = ++this.#dialing;
    this.#setStatus('connecting');
    let grant: TokenGrant;
    const at = Date.now();
    try {
      grant = await this.#settings.token();
    } catch (err) {
      return attempt === this.#dialing ? tokenFailed(this, err) : undefined;
    }
    if (attempt !== this.#dialing) return;
    this.#wentLive = false;
    this.#grant = { grant, at };
    try {
      this.#links.use(openLink(this.#settings, grant.token, this.#links));
    } catch (err) {
      this.hooks.error(err as KhalaSyncError);
      return this.stop('closed', 'insecure_transport');
    }
    awaitHandshake(this.#links.current!, this.#settings.joinTimeoutMs, this);
  }

  /** A link's transport opened (socket-links.ts). */
  opened(link: SocketLink, info: OpenInfo | undefined): void {
    const offered = this.#settings.lane.protocols;
    const selected = info?.protocol;
    const mismatch = subprotocolRejected(offered, selected);
    if (this.swap.of(link) !== undefined) return mismatch ? this.swap.drop(ErrorCodes.SUBPROTOCOL_MISMATCH, 'subprotocol mismatch') : startSession(this.#settings, link, linkSink(this, link));
    if (mismatch) return mismatched(this, offered!, selected);
    this.authRetried = false;
    this.#setStatus('joining');
    startSession(this.#settings, link, linkSink(this, link));
    awaitJoin(link, this.#settings.joinTimeoutMs, this);
    watchSilence(link, this.#settings.deadAfterMs, this);
  }

  /** A link's transport closed (socket-links.ts). */
  closed(link: SocketLink, info: CloseInfo): void {
    if (this.swap.of(link) !== undefined) return this.swap.drop(ErrorCodes.CONNECT_FAILED, `closed (${info.httpStatus ? `HTTP ${info.httpStatus}` : `close ${info.code}`})`, { code: info.code, httpStatus: info.httpStatus });
    const wasOpen = link.opened;
    this.#teardown(info.code, 'closed');
    linkClosed(this, this.#settings, this.#refusals, info, wasOpen);
  }

  /** Dial again at once with a fresh token: the one retry of a refused upgrade (reconnect-policy.ts). */
  redial(): void {
    this.authRetried = true;
    void this.#dial();
  }

  #teardown(code: number, reason: string): void {
    this.#dialing++;
    this.#schedule.stop();
    this.#refresher.cancel();
    this.swap.drop(ErrorCodes.CHANNEL_CLOSED, `the current socket went away (${reason})`);
    this.#grant = undefined;
    this.#links.drop(code, reason);
    this.driver.disconnected();
  }

  /** Reconnect after the backoff, no sooner than `afterMs` (a server's wish: at most `maxRetryAfterMs`); `reason` says why. */
  scheduleReconnect(reason: string, afterMs?: number): void {
    if (TERMINAL.has(this.status)) return;
    if (afterMs !== undefined) this.#schedule.floor(Math.min(afterMs, this.#settings.maxRetryAfterMs));
    const delay = this.#schedule.next();
    this.metrics.reconnects++;
    this.hooks.reconnecting({ attempt: this.#schedule.attempt, delayMs: delay, reason });
    this.#setStatus('backoff', reason);
    this.#schedule.arm(delay);
  }

  /** Count a lane notice and report it to the client. */
  notify(notice: LaneNotice): void {
    countNotice(this.metrics, notice);
    this.hooks.notice(notice);
  }

  /** Commit `batch` behind every batch already queued, from any socket (socket-links.ts). */
  apply(batch: SyncBatch): Promise<void> {
    return this.#links.apply(batch);
  }
}
