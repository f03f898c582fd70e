import type { LaneNotice } from '../adapters/lane.js';
import { frameTooLarge } from '../adapters/frame-too-large.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { ProtocolError } from '../errors/protocol-error.js';
import { TransportError } from '../errors/transport-error.js';
import type { SyncBatch } from '../model/types.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo, type OpenInfo } from '../transport/transport.js';
import { statusForStopCode, TERMINAL, type ConnectionHooks, type ConnectionSettings } from './connection-settings.js';
import type { ClientStatus } from './options.js';
import { openLink, startSession, subprotocolMismatch, subprotocolRejected } from './link-open.js';
import { linkSink, type SinkHost } from './link-sink.js';
import { LivenessProbes, type ProbeResult } from './liveness-probe.js';
import { connectionMetrics, countNotice, type ConnectionMetrics } from './metrics.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import { ReplyDeadline } from './reply-deadline.js';
import { REFUSAL_CLOSE_CODES, RefusalCounter } from './refusals.js';
import type { DriverTransport, ReplayDriver } from './replay-driver.js';
import type { LinkOwner, SocketLink } from './socket-link.js';
import { SocketSwap } from './socket-swap.js';
import { TokenRefresh } from './token-refresh.js';
import { SignInRequiredError, tokenFailure, type TokenGrant } from './token-provider.js';

/**
 * One logical connection that outlives its sockets: dial with a fresh token, join, keep alive with
 * heartbeats, declare silence dead, reconnect with backoff, and replace the socket ahead of token
 * expiry without a gap (make-before-break, docs/spacetime-lane.md). It feeds what the lane reports
 * to the replay driver it owns, and is that driver's transport. Inbound frames of a socket are
 * handled strictly one after another; batches of every socket commit through one queue.
 */
export class Connection implements DriverTransport, SinkHost, LinkOwner {
  status: ClientStatus = 'idle';
  /** The replay driver this connection feeds; it sends through this connection. */
  readonly driver: ReplayDriver;
  /** Counters this connection keeps (plain fields: read them, never write them). */
  readonly metrics: ConnectionMetrics = connectionMetrics();
  private link: SocketLink | undefined;
  /** The standby socket of a token refresh (make-before-break). */
  readonly swap: SocketSwap;
  /** The grant the current socket was opened with, and when it was fetched. */
  private grant: { grant: TokenGrant; at: number } | undefined;
  private dialing = 0;
  private readonly schedule: ReconnectSchedule;
  private authRetried = false;
  /** The current socket's subscription went live (a close after that is not a refusal). */
  private wentLive = false;
  private readonly refusals: RefusalCounter;
  private readonly refresher: TokenRefresh;
  /** Every socket's batches commit through this one queue (two overlap during a token refresh). */
  private applying: Promise<void> = Promise.resolve();
  private readonly probes = new LivenessProbes();
  /** Sockets closing and not yet released; made on the first close (an idle client has none). */
  private closing: Set<Promise<void>> | undefined;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
    createDriver: (transport: DriverTransport) => ReplayDriver,
  ) {
    this.driver = createDriver(this);
    this.refusals = new RefusalCounter(settings.maxRefusals);
    this.schedule = new ReconnectSchedule((n) => settings.reconnectDelay(n), () => void this.dial());
    this.refresher = new TokenRefresh({
      token: () => this.settings.token(),
      replace: (grant) => this.swap.start(grant),
      retryDelay: (n) => this.settings.reconnectDelay(n),
      failed: (error) => {
        this.notify({ type: 'token_refresh', outcome: 'failed', overlapMs: 0, code: (error.details as { cause?: string } | undefined)?.cause ?? error.code });
        this.hooks.error(error);
      },
    });
    this.swap = new SocketSwap({
      driver: this.driver,
      status: () => this.status,
      open: (token) => this.openLink(token),
      joinTimeoutMs: settings.joinTimeoutMs,
      promote: (standby) => {
        const old = this.link;
        this.link = standby.link;
        this.grant = { grant: standby.grant, at: standby.fetchedAt };
        standby.link.clear('standby');
        standby.link.keepAlive(this.settings.heartbeatIntervalMs);
        this.watchdog(standby.link);
        this.track(old?.close(1000, 'token refresh'));
        this.probes.settle('alive');
        this.notify({ type: 'token_refresh', outcome: 'switched', overlapMs: Date.now() - standby.startedAt });
        this.refresher.arm(standby.grant, standby.fetchedAt);
      },
      release: (closing) => this.track(closing),
    });
  }

  /** Start (or restart after a terminal status). */
  start(): void {
    if (this.link !== undefined || this.schedule.pending()) return;
    this.schedule.attempt = 0;
    this.authRetried = false;
    this.refusals.restart();
    void this.dial();
  }

  /** Close for good (until `start` is called again) with the given terminal status. */
  stop(status: ClientStatus = 'closed', reason?: string): void {
    this.teardown(1000, reason ?? status);
    this.setStatus(status, reason);
  }

  /** Drop the current socket and reconnect after the backoff, no sooner than `afterMs` (a server's wish: at most `maxRetryAfterMs`). */
  reconnect(afterMs: number | undefined, reason: string): void {
    if (TERMINAL.has(this.status)) return;
    if (afterMs !== undefined) this.schedule.floor(Math.min(afterMs, this.settings.maxRetryAfterMs));
    this.teardown(4000, reason);
    this.scheduleReconnect(reason);
  }

  /**
   * Heartbeat now; `dead` when no frame arrives within `timeoutMs`, and the socket is then replaced.
   * Overlapping probes share one outcome (and one replacement).
   */
  probe(timeoutMs: number): Promise<ProbeResult> {
    const link = this.link;
    const session = link?.session;
    if (session === undefined || !link!.opened) return Promise.resolve('not_connected');
    // Not reading because of our own backlog: the server was heard from, and no reply could arrive.
    if (link!.inbound.over) return Promise.resolve('alive');
    const { result, started } = this.probes.probe(timeoutMs, () => session.heartbeat());
    if (started) void result.then((r) => r === 'dead' && link === this.link && this.reconnect(undefined, 'probe_timeout'));
    return result;
  }

  /** Hold reconnect attempts while the network is down; releasing dials at once if one was due. */
  holdReconnects(held: boolean): void {
    this.schedule.held = held;
    if (this.status !== 'backoff') return;
    this.schedule.cancel();
    if (!held) void this.dial();
  }

  /**
   * Send a subscribe through the lane session; returns its request id, or undefined when not joined.
   * No reply within `subscribeTimeoutMs` of the last progress: `reply_timeout` and a reconnect (S8).
   */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number | undefined {
    const link = this.link;
    const session = this.isJoined() ? link?.session : undefined;
    if (session === undefined) return undefined;
    const ms = this.settings.subscribeTimeoutMs;
    link!.replies ??= new ReplyDeadline(link!, ms, () => {
      this.hooks.error(new TransportError(ErrorCodes.REPLY_TIMEOUT, `no subscribe reply within ${ms} ms`, { retryable: true }));
      this.reconnect(undefined, 'subscribe_timeout');
    });
    return link!.replies.send(topics, () => session.subscribe(topics, resumeAfter));
  }

  /** Send an unsubscribe (dropped when not joined: the next join does not subscribe the topics). */
  unsubscribe(topics: string[]): void {
    if (this.isJoined()) this.link?.session?.unsubscribe(topics);
  }

  /** Report `error` and stop until the app calls `start` again (SPEC.md C1). */
  halt(error: KhalaSyncError): void {
    this.hooks.error(error);
    this.stop(statusForStopCode(error.code), error.code);
  }

  // The connection is every link's sink host (link-sink.ts): methods, not a closure per hook, keep
  // an idle client small (docs/benchmarks.md, figure 4).

  /** Whether `link` is the current socket. */
  current(link: SocketLink): boolean {
    return link === this.link;
  }

  /** The current socket joined: start replaying on it. */
  joined(link: SocketLink): void {
    link.clear('join');
    this.setStatus('replaying', undefined);
    link.keepAlive(this.settings.heartbeatIntervalMs);
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
    const link = this.link;
    return link === undefined ? { frames: 0, bytes: 0, paused: false } : { frames: link.inbound.depth, bytes: link.inbound.bytes, paused: link.inbound.over && !link.overflowed };
  }

  /** Unix ms when the next token refresh starts; undefined when none is scheduled. */
  tokenRefreshAt(): number | undefined {
    return this.refresher.dueAt();
  }

  /** Resolves once every socket this connection closed is released. */
  async released(): Promise<void> {
    while (this.closing?.size) await Promise.all([...this.closing]);
  }

  private track(closing: void | Promise<void>): void {
    if (closing === undefined) return;
    const p = closing.catch(() => undefined).finally(() => this.closing?.delete(p));
    (this.closing ??= new Set()).add(p);
  }

  private isJoined(): boolean {
    return this.status === 'replaying' || this.status === 'live' || this.status === 'failed';
  }

  /** Recompute replaying/live/failed from the topics' phases. */
  refresh(): void {
    if (!this.isJoined()) return;
    const next = this.driver.allFailed() ? 'failed' : this.driver.settled() ? 'live' : 'replaying';
    if (next === this.status) return;
    this.setStatus(next, undefined);
    if (next !== 'live') return;
    if (!this.wentLive && this.grant !== undefined && this.settings.tokenRefresh) this.refresher.arm(this.grant.grant, this.grant.at);
    this.wentLive = true;
    this.refusals.wentLive();
    this.schedule.stable(this.settings.stableAfterMs, () => this.status === 'live');
  }

  private setStatus(status: ClientStatus, reason: string | undefined): void {
    if (this.status === status) return;
    this.status = status;
    this.hooks.status(status, reason);
  }

  private async dial(): Promise<void> {
    const attempt = ++this.dialing;
    this.setStatus('connecting', undefined);
    let grant: TokenGrant;
    const at = Date.now();
    try {
      grant = await this.settings.token();
    } catch (err) {
      if (attempt !== this.dialing) return;
      const { error, stop } = tokenFailure(err);
      if (error instanceof SignInRequiredError) this.hooks.authFailure({ httpStatus: 401, reason: 'sign_in_required', refreshAttempted: false });
      this.hooks.error(error);
      return stop === undefined ? this.scheduleReconnect('token_provider_failed') : this.stop(stop[0], stop[1]);
    }
    if (attempt !== this.dialing) return;
    this.wentLive = false;
    this.grant = { grant, at };
    try {
      this.link = this.openLink(grant.token);
    } catch (err) {
      this.hooks.error(err as KhalaSyncError);
      return this.stop('closed', 'insecure_transport');
    }
    // Replaced by the join timer once open: a peer that takes the TCP connection and never answers
    // the upgrade would otherwise hold `connecting` for good.
    this.link.timer('join', this.settings.joinTimeoutMs, () => {
      this.hooks.error(new TransportError(ErrorCodes.CONNECT_FAILED, `no WebSocket handshake within ${this.settings.joinTimeoutMs} ms`, { retryable: true }));
      this.reconnect(undefined, 'open_timeout');
    });
  }

  /** A socket to the server with `token`; throws `insecure_transport` for a clear-text URL. */
  private openLink(token: string): SocketLink {
    return openLink(this.settings, token, this);
  }

  // The connection owns its links (socket-link.ts): these hear from their transports.

  /** Live while it is the current socket or the standby; a replaced socket's frames are dropped. */
  serves(link: SocketLink): boolean {
    return link === this.link || this.swap.of(link) !== undefined;
  }

  /** A link's transport paused (true) or resumed reading. */
  paused(_link: SocketLink, paused: boolean): void {
    if (paused) this.metrics.inboundPauses++;
  }

  /** A link's transport opened. */
  onOpen(link: SocketLink, info: OpenInfo | undefined): void {
    const offered = this.settings.lane.protocols;
    const selected = info?.protocol;
    const mismatch = subprotocolRejected(offered, selected);
    if (this.swap.of(link) !== undefined) return mismatch ? this.swap.drop(ErrorCodes.SUBPROTOCOL_MISMATCH, 'subprotocol mismatch') : this.startSession(link);
    // Retrying would get the same answer: stop until the app acts.
    if (mismatch) return this.subprotocolMismatch(offered!, selected);
    this.authRetried = false;
    this.setStatus('joining', undefined);
    this.startSession(link);
    link.timer('join', this.settings.joinTimeoutMs, () => {
      this.hooks.error(new TransportError(ErrorCodes.REPLY_TIMEOUT, `no join reply within ${this.settings.joinTimeoutMs} ms`, { retryable: true }));
      this.reconnect(undefined, 'join_timeout');
    });
    this.watchdog(link);
  }

  private startSession(link: SocketLink): void {
    startSession(this.settings, link, linkSink(this, link));
  }

  /** Declare the current socket dead after `deadAfterMs` of inbound silence. */
  private watchdog(link: SocketLink): void {
    link.watch(this.settings.deadAfterMs, () => {
      this.hooks.error(new TransportError(ErrorCodes.HEARTBEAT_TIMEOUT, `no inbound frame for ${this.settings.deadAfterMs} ms; connection declared dead`, { retryable: true }));
      this.reconnect(undefined, 'heartbeat_timeout');
    });
  }

  /** A frame arrived on a link. */
  onMessage(link: SocketLink, text: string, bytes: number): void {
    link.lastInbound = Date.now();
    if (link === this.link) this.probes.settle('alive');
    if (!link.overflowed) link.inbound.push(text, bytes);
  }

  /** A frame that is not UTF-8 arrived on a link: it counts as inbound traffic and is refused unread. */
  onUndecodable(link: SocketLink, bytes: number): void {
    link.lastInbound = Date.now();
    if (link === this.link) this.probes.settle('alive');
    linkSink(this, link).protocolError(new ProtocolError(ErrorCodes.MALFORMED_FRAME, `binary frame of ${bytes} bytes is not valid UTF-8`, { details: { bytes } }));
  }

  /**
   * The backlog went over budget on a socket that cannot pause: stop queueing its frames, finish the
   * ones held (all within budget), then reconnect; the new socket resumes from the durable watermark,
   * so what was dropped is delivered again. A standby that overflows is simply given up.
   */
  overflow(link: SocketLink): void {
    link.overflowed = true;
    this.metrics.inboundOverflows++;
    if (this.swap.of(link) !== undefined) return this.swap.drop(ErrorCodes.INBOUND_OVERFLOW, 'inbound backlog above maxInboundBytes');
    this.hooks.error(
      new TransportError(ErrorCodes.INBOUND_OVERFLOW, `inbound backlog above maxInboundBytes (${this.settings.maxInboundBytes}) and the transport cannot pause; reconnecting once drained`, {
        retryable: true,
      }),
    );
    void link.inbound.drained().then(() => link === this.link && this.reconnect(undefined, 'inbound_overflow'));
  }

  private subprotocolMismatch(offered: string[], selected: string | undefined): void {
    this.hooks.error(subprotocolMismatch(offered, selected));
    this.stop('upgrade_required', 'subprotocol_mismatch');
  }

  /** A link's transport closed. */
  onClose(link: SocketLink, info: CloseInfo): void {
    if (this.swap.of(link) !== undefined) return this.swap.drop(ErrorCodes.CONNECT_FAILED, `closed (${info.httpStatus ? `HTTP ${info.httpStatus}` : `close ${info.code}`})`, { code: info.code, httpStatus: info.httpStatus });
    const wasOpen = link.opened;
    const offered = this.settings.lane.protocols;
    this.teardown(info.code, 'closed');
    if (!wasOpen && info.reason === SUBPROTOCOL_MISMATCH_REASON && offered !== undefined && offered.length > 0) return this.subprotocolMismatch(offered, undefined);
    if (TERMINAL.has(this.status)) return;
    if (!wasOpen && (info.httpStatus === 401 || info.httpStatus === 403)) {
      this.hooks.authFailure({ httpStatus: info.httpStatus, reason: 'upgrade_refused', refreshAttempted: this.authRetried });
      // An expired token and a bad one look alike (§1.1): mint a fresh one and try once at once.
      if (!this.authRetried) {
        this.authRetried = true;
        void this.dial();
        return;
      }
      this.hooks.error(new TransportError(ErrorCodes.AUTH_REFUSED, `upgrade refused with HTTP ${info.httpStatus} twice with fresh tokens`, { retryable: true, details: { httpStatus: info.httpStatus } }));
    } else if (!wasOpen) {
      this.hooks.error(new TransportError(ErrorCodes.CONNECT_FAILED, `connection failed (${info.httpStatus ? `HTTP ${info.httpStatus}` : `close ${info.code}`})`, { retryable: true, details: { code: info.code, httpStatus: info.httpStatus } }));
    } else if (this.refusals.counts() && REFUSAL_CLOSE_CODES.has(info.code)) {
      return this.refused(info.code, info.reason);
    } else if (info.code === 1009) {
      this.metrics.framesRejected++;
      this.hooks.error(frameTooLarge(undefined, this.settings.maxFrameBytes, undefined, 1009));
    }
    this.scheduleReconnect(wasOpen ? `socket closed (${info.code})` : 'connect_failed');
  }

  /** The server turned an open socket away before it went live: report it, and stop after `maxRefusals` in a row. */
  private refused(code: number, reason: string): void {
    const { error, stop } = this.refusals.refused(code, reason);
    this.hooks.error(error);
    if (stop === undefined) return this.scheduleReconnect(`server_refused (${code})`);
    this.hooks.error(stop);
    this.stop('incompatible_server', ErrorCodes.INCOMPATIBLE_SERVER);
  }

  private teardown(code: number, reason: string): void {
    this.dialing++;
    this.schedule.stop();
    this.refresher.cancel();
    this.swap.drop(ErrorCodes.CHANNEL_CLOSED, `the current socket went away (${reason})`);
    const link = this.link;
    this.link = undefined;
    this.grant = undefined;
    this.track(link?.close(code, reason));
    this.probes.settle('not_connected');
    this.driver.disconnected();
  }

  private scheduleReconnect(reason: string): void {
    if (TERMINAL.has(this.status)) return;
    const delay = this.schedule.next();
    this.metrics.reconnects++;
    this.hooks.reconnecting({ attempt: this.schedule.attempt, delayMs: delay, reason });
    this.setStatus('backoff', reason);
    this.schedule.arm(delay);
  }

  /** Count a lane notice and report it to the client. */
  notify(notice: LaneNotice): void {
    countNotice(this.metrics, notice);
    this.hooks.notice(notice);
  }

  /**
   * Commit `batch` behind every batch already queued, from any socket: during a token refresh two
   * sockets deliver the same rows, and each batch is planned against the watermark the previous
   * one committed, so the second copy is dropped as a duplicate (SPEC.md A2).
   */
  apply(batch: SyncBatch): Promise<void> {
    const run = this.applying.then(async () => {
      await this.driver.applyBatch(batch);
      this.refresh();
      const w = this.driver.lastApplied(batch.topic);
      if (w !== undefined) this.link?.session?.committed?.(batch.topic, w);
    });
    this.applying = run.catch(() => undefined);
    return run;
  }
}
