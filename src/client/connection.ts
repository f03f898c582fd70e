import type { LaneNotice } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncBatch } from '../model/types.js';
import type { CloseInfo, OpenInfo } from '../transport/transport.js';
import { statusForStopCode, TERMINAL, type ConnectionHooks, type ConnectionSettings } from './connection-settings.js';
import type { ProbeResult } from './liveness-probe.js';
import { countNotice } from './metrics.js';
import type { ClientStatus } from './options.js';
import { closeName, ReconnectPolicy } from './reconnect-policy.js';
import type { DriverTransport, ReplayDriver } from './replay-driver.js';
import { SocketLink } from './socket-link.js';
import { TokenRefresh } from './token-refresh.js';
import type { TokenGrant } from './token-provider.js';
import { allFailed, settled } from './topic-phases.js';

/**
 * One logical connection that outlives its sockets: dial with a fresh token, join, keep alive with
 * heartbeats, declare silence dead, reconnect with backoff (reconnect-policy.ts), and replace the
 * socket ahead of token expiry without a gap (token-refresh.ts). It feeds what the lane reports
 * to the replay driver it owns, and is that driver's transport. Inbound frames of a socket are
 * handled strictly one after another (socket-link.ts); batches of every socket commit through one
 * queue. A socket that serves neither as the current one nor as the standby is not heard from.
 */
export class Connection extends ReconnectPolicy implements DriverTransport {
  /** The replay driver this connection feeds; it sends through this connection. */
  readonly driver: ReplayDriver;
  /** The current socket; undefined between sockets. */
  link: SocketLink | undefined;
  /** The token refresh, and its standby socket while one runs (make-before-break). */
  readonly swap: TokenRefresh;
  #dialing = 0;
  /**
   * The liveness probe in flight: any inbound frame answers it, since a socket that delivers
   * anything is not a zombie. Overlapping probes share one outcome, so two wake events in a row
   * never lead to two reconnects.
   */
  #probe: Promise<ProbeResult> | undefined;
  #endProbe: ((r: ProbeResult) => void) | undefined;
  /** Sockets closing and not yet released; made on the first close (an idle client has none). */
  #closing: Set<Promise<void>> | undefined;
  /** Every socket's batches commit through this one chain (two overlap during a token refresh). */
  #applying: Promise<void> = Promise.resolve();

  constructor(settings: ConnectionSettings, hooks: ConnectionHooks, createDriver: (transport: DriverTransport) => ReplayDriver) {
    super(settings, hooks);
    this.driver = createDriver(this);
    this.swap = new TokenRefresh(this);
  }

  /** Start (or restart after a terminal status). */
  start(): void {
    if (this.link !== undefined || this.pending()) return;
    this.restart();
    void this.dial();
  }

  stop(status: ClientStatus = 'closed', reason?: string): void {
    this.#teardown(1000, reason ?? status);
    this.setStatus(status, reason);
  }

  /** Drop the current socket and reconnect after the backoff, no sooner than `afterMs` (a server's wish: at most `maxRetryAfterMs`). */
  reconnect(afterMs: number | undefined, reason: string): void {
    if (TERMINAL.has(this.status)) return;
    this.#teardown(4000, reason);
    this.scheduleReconnect(reason, afterMs);
  }

  /**
   * Heartbeat now; `dead` when no frame arrives within `timeoutMs`, and the socket is then replaced;
   * `not_connected` without a joined socket.
   */
  probe(timeoutMs: number): Promise<ProbeResult> {
    const link = this.link;
    const session = link?.session;
    if (session === undefined || !link!.opened) return Promise.resolve('not_connected');
    // Not reading because of our own backlog: the server was heard from, and no reply could arrive.
    if (link!.inbound.over) return Promise.resolve('alive');
    return (this.#probe ??= new Promise<ProbeResult>((resolve) => {
      const timer = setTimeout(() => this.settleProbe('dead'), timeoutMs);
      this.#endProbe = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      session.heartbeat();
    }).then((r) => {
      if (r === 'dead' && link === this.link) this.reconnect(undefined, 'probe_timeout');
      return r;
    }));
  }

  /** A frame arrived on the current socket (`alive`), or it went away. */
  settleProbe(result: ProbeResult): void {
    const end = this.#endProbe;
    this.#probe = this.#endProbe = undefined;
    end?.(result);
  }

  /**
   * Send a subscribe through the lane session; returns its request id, or undefined when not joined.
   * No reply within `subscribeTimeoutMs` of the last progress: `reply_timeout` and a reconnect (S8).
   */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number | undefined {
    const link = this.link;
    const session = this.#isJoined() ? link?.session : undefined;
    return session && link!.subscribe(topics, () => session.subscribe(topics, resumeAfter));
  }

  /** Send an unsubscribe (dropped when not joined: the next join does not subscribe the topics). */
  unsubscribe(topics: string[]): void {
    if (this.#isJoined()) this.link?.session?.unsubscribe(topics);
  }

  /**
   * Report `error` and stop until the app calls `start` again: status `closed` for a store that
   * cannot go on (SPEC.md C5), else the stop code's (C1).
   */
  halt(error: KhalaSyncError): void {
    this.hooks.error(error);
    this.stop(error.source === 'store' ? 'closed' : statusForStopCode(error.code), error.code);
  }

  /** The current socket joined: start replaying on it. */
  joined(): void {
    const link = this.link!;
    link.clear('join');
    this.setStatus('replaying');
    link.keepAlive();
    this.driver.ready();
    this.refresh();
  }

  /** Inbound frames (and their bytes) received on the current socket but not yet handled. */
  inboundBacklog(): { frames: number; bytes: number; paused: boolean } {
    const link = this.link;
    return link === undefined ? { frames: 0, bytes: 0, paused: false } : { frames: link.inbound.depth, bytes: link.inbound.bytes, paused: link.inbound.over && !link.overflowed };
  }

  /** Unix ms when the next token refresh starts; undefined when none is scheduled. */
  tokenRefreshAt(): number | undefined {
    return this.swap.dueAt();
  }

  /** Track a closing socket until it is released. */
  track(closing: void | Promise<void>): void {
    if (closing === undefined) return;
    const p = closing.catch(() => undefined).finally(() => this.#closing?.delete(p));
    (this.#closing ??= new Set()).add(p);
  }

  /** Resolves once every socket this connection closed is released. */
  async released(): Promise<void> {
    while (this.#closing?.size) await Promise.all([...this.#closing]);
  }

  #isJoined(): boolean {
    return this.status === 'replaying' || this.status === 'live' || this.status === 'failed';
  }

  /** Recompute replaying/live/failed from the topics' phases. */
  refresh(): void {
    if (!this.#isJoined()) return;
    const next = allFailed(this.driver.topics()) ? 'failed' : settled(this.driver.topics()) ? 'live' : 'replaying';
    if (next === this.status) return;
    this.setStatus(next);
    if (next !== 'live') return;
    this.swap.live();
    this.wentLive();
  }

  async dial(): Promise<void> {
    const attempt = ++this.#dialing;
    this.setStatus('connecting');
    let grant: TokenGrant;
    const at = Date.now();
    try {
      grant = await this.settings.token();
    } catch (err) {
      return attempt === this.#dialing ? this.tokenFailed(err) : undefined;
    }
    if (attempt !== this.#dialing) return;
    this.swap.use(grant, at);
    try {
      this.link = new SocketLink(this, grant.token);
    } catch (err) {
      this.hooks.error(err as KhalaSyncError);
      return this.stop('closed', 'insecure_transport');
    }
    this.link.deadline('WebSocket handshake', 'open_timeout', ErrorCodes.CONNECT_FAILED);
  }

  /**
   * A link's transport opened. A lane that offers subprotocols speaks only those: a server that
   * echoed none or another one would answer in a format the session cannot read
   * (SPACETIME_PROTOCOL §1.2, §5 rule 1). A transport that cannot tell (`protocol` undefined) is trusted.
   */
  opened(link: SocketLink, info: OpenInfo | undefined): void {
    const offered = this.settings.lane.protocols;
    const selected = info?.protocol;
    const mismatch = !!offered?.length && selected !== undefined && !offered.includes(selected);
    if (link.standby()) return mismatch ? this.swap.drop(ErrorCodes.SUBPROTOCOL_MISMATCH, 'subprotocol mismatch') : link.start();
    if (mismatch) return this.mismatched(offered!, selected);
    this.authRetried = false;
    this.setStatus('joining');
    link.start();
    link.deadline('join reply', 'join_timeout');
    link.watch();
  }

  /** A link's transport closed. */
  closed(link: SocketLink, info: CloseInfo): void {
    if (link.standby()) return this.swap.drop(ErrorCodes.CONNECT_FAILED, `closed (${closeName(info)})`, { code: info.code, httpStatus: info.httpStatus });
    const wasOpen = link.opened;
    this.#teardown(info.code, 'closed');
    this.linkClosed(info, wasOpen);
  }

  /** A standby dialled at `at` took over: `link` becomes the current socket and the old one closes. */
  adopt(link: SocketLink, at: number): void {
    const old = this.link;
    this.link = link;
    link.clear('standby');
    link.keepAlive();
    link.watch();
    this.track(old?.close(1000, 'token refresh'));
    this.settleProbe('alive');
    this.notify({ type: 'token_refresh', outcome: 'switched', overlapMs: Date.now() - at });
  }

  #teardown(code: number, reason: string): void {
    this.#dialing++;
    this.cancel(true);
    this.swap.cancel();
    const link = this.link;
    this.link = undefined;
    this.track(link?.close(code, reason));
    this.settleProbe('not_connected');
    this.driver.disconnected();
  }

  /** Count a lane notice and report it to the client. */
  notify(notice: LaneNotice): void {
    countNotice(this.metrics, notice);
    this.hooks.notice(notice);
  }

  /**
   * Commit `batch` behind every batch already queued, from any socket: during a token refresh two
   * sockets deliver the same rows, and each batch is planned against the watermark the previous
   * one committed, so the second copy is dropped as a duplicate (SPEC.md A2). Once durable, the
   * status is recomputed and the current socket's session told the topic's watermark.
   */
  apply(batch: SyncBatch): Promise<void> {
    const run = this.#applying.then(async () => {
      await this.driver.applyBatch(batch);
      this.refresh();
      const w = this.driver.lastApplied(batch.topic);
      if (w !== undefined) this.link?.session?.committed?.(batch.topic, w);
    });
    this.#applying = run.catch(() => undefined);
    return run;
  }
}
