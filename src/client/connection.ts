import type { ClientInfo, Lane, LaneNotice, LaneSink } from '../adapters/lane.js';
import { frameTooLarge } from '../adapters/frame-too-large.js';
import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { ServerError } from '../errors/server-error.js';
import { TransportError } from '../errors/transport-error.js';
import { serverError, STOP_CODES } from '../replay/transitions.js';
import type { SyncBatch } from '../model/types.js';
import { assertSecureUrl } from '../transport/secure-url.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo, type OpenInfo, type TransportFactory } from '../transport/transport.js';
import type { ClientStatus } from './options.js';
import { inboundBudget } from './inbound-budget.js';
import { LivenessProbes, type ProbeResult } from './liveness-probe.js';
import { connectionMetrics, countNotice, type ConnectionMetrics } from './metrics.js';
import { REFUSAL_CLOSE_CODES, RefusalCounter } from './refusals.js';
import type { DriverTransport, ReplayDriver } from './replay-driver.js';
import { SocketLink } from './socket-link.js';
import { StandbyLink } from './standby-link.js';
import { TokenRefresh } from './token-refresh.js';
import { SignInRequiredError, type TokenGrant } from './token-provider.js';

/** Resolved settings of a connection. */
export interface ConnectionSettings {
  url: string;
  lane: Lane;
  transport: TransportFactory;
  token: () => Promise<TokenGrant>;
  clientInfo: ClientInfo;
  reconnectDelay: (attempt: number) => number;
  allowInsecure: boolean;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  joinTimeoutMs: number;
  stableAfterMs: number;
  maxFrameBytes: number;
  maxRefusals: number;
  /** Replace the socket before the token's `refresh_after_in` elapses. */
  tokenRefresh: boolean;
  /** Inbound backlog above which the socket stops being read (docs/architecture.md, Backpressure). */
  maxInboundBytes: number;
}

/** What the connection reports upward. */
export interface ConnectionHooks {
  status(status: ClientStatus, reason: string | undefined): void;
  error(error: KhalaSyncError): void;
  heartbeat(watermarks: Record<string, number>): void;
  /** A reconnect was scheduled. */
  reconnecting(info: { attempt: number; delayMs: number; reason: string }): void;
  /** The upgrade or the token endpoint refused the credentials. */
  authFailure(info: { httpStatus: number; reason: string; refreshAttempted: boolean }): void;
  /** A lane diagnostic (head probe, reply correlation, checkpoint ack) or a token refresh. */
  notice(notice: LaneNotice): void;
}

const TERMINAL: ReadonlySet<ClientStatus> = new Set(['closed', 'upgrade_required', 'auth_required', 'incompatible_server']);

/** The terminal status a stop code leads to (SPEC.md C1): `reauth_required` asks for sign-in, the rest for an upgrade. */
function statusForStopCode(code: string): ClientStatus {
  return code === ErrorCodes.REAUTH_REQUIRED ? 'auth_required' : 'upgrade_required';
}

/**
 * One logical connection that outlives its sockets: dial with a fresh token, join, keep alive with
 * heartbeats, declare silence dead, reconnect with backoff, and replace the socket ahead of token
 * expiry without a gap (make-before-break, docs/spacetime-lane.md). It feeds what the lane reports
 * to the replay driver it owns, and is that driver's transport. Inbound frames of a socket are
 * handled strictly one after another; batches of every socket commit through one queue.
 */
export class Connection implements DriverTransport {
  status: ClientStatus = 'idle';
  /** The replay driver this connection feeds; it sends through this connection. */
  readonly driver: ReplayDriver;
  /** Counters this connection keeps (plain fields: read them, never write them). */
  readonly metrics: ConnectionMetrics = connectionMetrics();
  private link: SocketLink | undefined;
  private standby: StandbyLink | undefined;
  /** The grant the current socket was opened with, and when it was fetched. */
  private grant: { grant: TokenGrant; at: number } | undefined;
  private dialing = 0;
  private attempt = 0;
  private floorMs = 0;
  private authRetried = false;
  /** The current socket's subscription went live (a close after that is not a refusal). */
  private wentLive = false;
  private readonly refusals: RefusalCounter;
  private readonly refresher: TokenRefresh;
  /** Every socket's batches commit through this one queue (two overlap during a token refresh). */
  private applying: Promise<void> = Promise.resolve();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly probes = new LivenessProbes();
  /** While true (the network is down), reconnect attempts wait instead of dialling. */
  private held = false;
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
    createDriver: (transport: DriverTransport) => ReplayDriver,
  ) {
    this.driver = createDriver(this);
    this.refusals = new RefusalCounter(settings.maxRefusals);
    this.refresher = new TokenRefresh({
      token: () => this.settings.token(),
      replace: (grant) => this.replaceSocket(grant),
      retryDelay: (n) => this.settings.reconnectDelay(n),
      failed: (error) => {
        this.notify({ type: 'token_refresh', outcome: 'failed', overlapMs: 0, code: (error.details as { cause?: string } | undefined)?.cause ?? error.code });
        this.hooks.error(error);
      },
    });
  }

  /** Start (or restart after a terminal status). */
  start(): void {
    if (this.link !== undefined || this.reconnectTimer !== undefined) return;
    this.attempt = 0;
    this.authRetried = false;
    this.refusals.restart();
    void this.dial();
  }

  /** Close for good (until `start` is called again) with the given terminal status. */
  stop(status: ClientStatus = 'closed', reason?: string): void {
    this.teardown(1000, reason ?? status);
    this.setStatus(status, reason);
  }

  /** Drop the current socket and reconnect after the backoff, no sooner than `afterMs`. */
  reconnect(afterMs: number | undefined, reason: string): void {
    if (TERMINAL.has(this.status)) return;
    if (afterMs !== undefined) this.floorMs = Math.max(this.floorMs, afterMs);
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
    this.held = held;
    if (this.status !== 'backoff') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (!held) void this.dial();
  }

  /** Send a subscribe through the lane session; returns its request id, or undefined when not joined. */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number | undefined {
    return this.joined() ? this.link?.session?.subscribe(topics, resumeAfter) : undefined;
  }

  /** Send an unsubscribe (dropped when not joined: the next join does not subscribe the topics). */
  unsubscribe(topics: string[]): void {
    if (this.joined()) this.link?.session?.unsubscribe(topics);
  }

  /** Report `error` and stop until the app calls `start` again (SPEC.md C1). */
  halt(error: KhalaSyncError): void {
    this.hooks.error(error);
    this.stop(statusForStopCode(error.code), error.code);
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
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private track(closing: void | Promise<void>): void {
    if (closing === undefined) return;
    const p = closing.catch(() => undefined).finally(() => this.closing.delete(p));
    this.closing.add(p);
  }

  private joined(): boolean {
    return this.status === 'replaying' || this.status === 'live' || this.status === 'failed';
  }

  /** Recompute replaying/live/failed from the topics' phases. */
  private refresh(): void {
    if (!this.joined()) return;
    const next = this.driver.allFailed() ? 'failed' : this.driver.settled() ? 'live' : 'replaying';
    if (next === this.status) return;
    this.setStatus(next, undefined);
    if (next !== 'live') return;
    if (!this.wentLive && this.grant !== undefined && this.settings.tokenRefresh) this.refresher.arm(this.grant.grant, this.grant.at);
    this.wentLive = true;
    this.refusals.wentLive();
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      if (this.status === 'live') this.attempt = 0;
    }, this.settings.stableAfterMs);
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
      if (err instanceof SignInRequiredError) {
        this.hooks.authFailure({ httpStatus: 401, reason: 'sign_in_required', refreshAttempted: false });
        this.hooks.error(err);
        return this.stop('auth_required', 'sign in required');
      }
      if (isKhalaSyncError(err) && err.code === ErrorCodes.INSECURE_TRANSPORT) {
        this.hooks.error(err);
        return this.stop('closed', ErrorCodes.INSECURE_TRANSPORT);
      }
      this.hooks.error(isKhalaSyncError(err) ? err : new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token provider failed: ${String(err)}`, { retryable: true }));
      return this.scheduleReconnect('token_provider_failed');
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
  }

  /** A socket to the server with `token`; throws `insecure_transport` for a clear-text URL. */
  private openLink(token: string): SocketLink {
    const url = this.settings.lane.buildUrl(this.settings.url, token, this.settings.clientInfo);
    assertSecureUrl(url, this.settings.allowInsecure);
    // Live while it is the current socket or the standby; a replaced socket's frames are dropped.
    const link: SocketLink = new SocketLink(
      () => link === this.link || link === this.standby?.link,
      (self) =>
        inboundBudget(this.settings.maxInboundBytes, {
          transport: () => (self.live() ? self.transport : undefined),
          paused: (paused) => {
            if (paused) this.metrics.inboundPauses++;
            // Silence while paused was ours: the dead-socket watchdog starts over.
            else self.lastInbound = Date.now();
          },
          overflow: () => this.overflow(self),
        }),
    );
    link.transport = this.settings.transport(
      url,
      {
        onOpen: (info) => link.live() && this.onOpen(link, info),
        onMessage: (text, bytes) => link.live() && this.onMessage(link, text, bytes),
        onClose: (info) => link.live() && this.onClose(link, info),
      },
      { protocols: this.settings.lane.protocols, maxFrameBytes: this.settings.maxFrameBytes },
    );
    return link;
  }

  private onOpen(link: SocketLink, info: OpenInfo | undefined): void {
    const offered = this.settings.lane.protocols;
    // A lane that offers subprotocols speaks only those: a server that echoed none or another one
    // would answer in a format the session cannot read (SPACETIME_PROTOCOL §1.2, §5 rule 1). Retrying
    // would get the same answer, so the client stops until the app acts. A transport that cannot
    // tell (`protocol` undefined) is trusted.
    const selected = info?.protocol;
    const mismatch = offered !== undefined && offered.length > 0 && selected !== undefined && !offered.includes(selected);
    if (link === this.standby?.link) return mismatch ? this.dropStandby(ErrorCodes.SUBPROTOCOL_MISMATCH, 'subprotocol mismatch') : this.startSession(link);
    if (mismatch) return this.subprotocolMismatch(offered, selected);
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
    link.opened = true;
    link.lastInbound = Date.now();
    link.session = this.settings.lane.createSession({
      send: (text) => link.live() && link.transport?.send(text),
      sink: this.sink(link),
      maxFrameBytes: this.settings.maxFrameBytes,
      clientInfo: this.settings.clientInfo,
    });
    link.session.start();
  }

  /** Declare the current socket dead after `deadAfterMs` of inbound silence. */
  private watchdog(link: SocketLink): void {
    const tick = Math.max(50, Math.min(this.settings.deadAfterMs / 3, 5000));
    link.timer('watchdog', tick, () => {
      if (link.inbound.over || Date.now() - link.lastInbound <= this.settings.deadAfterMs) return;
      this.hooks.error(new TransportError(ErrorCodes.HEARTBEAT_TIMEOUT, `no inbound frame for ${this.settings.deadAfterMs} ms; connection declared dead`, { retryable: true }));
      this.reconnect(undefined, 'heartbeat_timeout');
    }, true);
  }

  private onMessage(link: SocketLink, text: string, bytes: number): void {
    link.lastInbound = Date.now();
    if (link === this.link) this.probes.settle('alive');
    if (!link.overflowed) link.inbound.push(text, bytes);
  }

  /**
   * The backlog went over budget on a socket that cannot pause: stop queueing its frames, finish the
   * ones held (all within budget), then reconnect; the new socket resumes from the durable watermark,
   * so what was dropped is delivered again. A standby that overflows is simply given up.
   */
  private overflow(link: SocketLink): void {
    link.overflowed = true;
    this.metrics.inboundOverflows++;
    if (link === this.standby?.link) return this.dropStandby(ErrorCodes.INBOUND_OVERFLOW, 'inbound backlog above maxInboundBytes');
    this.hooks.error(
      new TransportError(ErrorCodes.INBOUND_OVERFLOW, `inbound backlog above maxInboundBytes (${this.settings.maxInboundBytes}) and the transport cannot pause; reconnecting once drained`, {
        retryable: true,
      }),
    );
    void link.inbound.drained().then(() => link === this.link && this.reconnect(undefined, 'inbound_overflow'));
  }

  private subprotocolMismatch(offered: string[], selected: string | undefined): void {
    const what = selected === undefined ? 'an unusable subprotocol' : `subprotocol "${selected.slice(0, 80)}"`;
    this.hooks.error(
      new TransportError(ErrorCodes.SUBPROTOCOL_MISMATCH, `server selected ${what}, expected one of ${offered.join(', ')}`, {
        details: { offered: [...offered], selected: selected?.slice(0, 80) ?? null },
      }),
    );
    this.stop('upgrade_required', 'subprotocol_mismatch');
  }

  private onClose(link: SocketLink, info: CloseInfo): void {
    if (link === this.standby?.link) return this.dropStandby(ErrorCodes.CONNECT_FAILED, `closed (${info.httpStatus ? `HTTP ${info.httpStatus}` : `close ${info.code}`})`, { code: info.code, httpStatus: info.httpStatus });
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
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    clearTimeout(this.stableTimer);
    this.refresher.cancel();
    this.dropStandby(ErrorCodes.CHANNEL_CLOSED, `the current socket went away (${reason})`);
    const link = this.link;
    this.link = undefined;
    this.grant = undefined;
    this.track(link?.close(code, reason));
    this.probes.settle('not_connected');
    this.driver.disconnected();
  }

  private scheduleReconnect(reason: string): void {
    if (TERMINAL.has(this.status)) return;
    this.attempt++;
    this.metrics.reconnects++;
    const delay = Math.max(this.floorMs, this.settings.reconnectDelay(this.attempt));
    this.floorMs = 0;
    this.hooks.reconnecting({ attempt: this.attempt, delayMs: delay, reason });
    this.setStatus('backoff', reason);
    clearTimeout(this.reconnectTimer);
    if (this.held) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.dial();
    }, delay);
  }

  // ---- token refresh: make-before-break (docs/spacetime-lane.md) ----

  /** Open a standby socket with `grant`; resolves once it replaced the current one. */
  private replaceSocket(grant: TokenGrant): Promise<void> {
    if (this.status !== 'live' || this.standby !== undefined) return Promise.reject(new TransportError(ErrorCodes.CHANNEL_CLOSED, `not live (${this.status})`));
    const standby = new StandbyLink(this.openLink(grant.token), grant, Date.now());
    this.standby = standby;
    standby.link.timer('standby', this.settings.joinTimeoutMs, () => this.dropStandby(ErrorCodes.REPLY_TIMEOUT, `not live within ${this.settings.joinTimeoutMs} ms`));
    return standby.done;
  }

  /** The standby joined: subscribe every wanted topic from its committed watermark. */
  private standbyJoined(standby: StandbyLink): void {
    if (!this.driver.settled()) return this.dropStandby(ErrorCodes.CHANNEL_CLOSED, 'a topic is catching up or recovering');
    const topics = this.wantedTopics();
    const resumeAfter: Record<string, number> = {};
    for (const t of topics) {
      const w = this.driver.lastApplied(t);
      if (w !== undefined) resumeAfter[t] = w;
    }
    standby.subscribe(topics, resumeAfter);
    if (topics.length === 0) this.switchOver(standby);
  }

  /**
   * The standby is subscribed and its replay committed: it becomes the current socket, the old one
   * is closed. The driver is not told: its topics stay live, so no status changes and nothing is
   * replayed to the app — the standby's rows at or below the watermark were dropped as duplicates.
   */
  private switchOver(standby: StandbyLink): void {
    if (!this.driver.settled() || !standby.covers(this.wantedTopics())) return this.dropStandby(ErrorCodes.CHANNEL_CLOSED, 'subscriptions changed during the refresh');
    const old = this.link;
    this.standby = undefined;
    this.link = standby.link;
    this.grant = { grant: standby.grant, at: standby.fetchedAt };
    standby.link.clear('standby');
    this.keepAlive(standby.link);
    this.watchdog(standby.link);
    this.track(old?.close(1000, 'token refresh'));
    this.probes.settle('alive');
    this.notify({ type: 'token_refresh', outcome: 'switched', overlapMs: Date.now() - standby.startedAt });
    this.refresher.arm(standby.grant, standby.fetchedAt);
    standby.settle();
  }

  /** Give the standby up (the current socket is untouched) and fail its refresh attempt with `code`. */
  private dropStandby(code: ErrorCode, why: string, details?: Record<string, unknown>): void {
    const standby = this.standby;
    if (standby === undefined) return;
    this.standby = undefined;
    this.track(standby.link.close(1000, 'token refresh abandoned'));
    standby.settle(new TransportError(code, `standby socket: ${why}`, details === undefined ? {} : { details }));
  }

  /** Topics a socket must carry: every subscribed topic that has not failed. */
  private wantedTopics(): string[] {
    return [...this.driver.topics()].filter((t) => t.phase !== 'failed').map((t) => t.topic);
  }

  private notify(notice: LaneNotice): void {
    countNotice(this.metrics, notice);
    this.hooks.notice(notice);
  }

  private keepAlive(link: SocketLink): void {
    link.timer('heartbeat', this.settings.heartbeatIntervalMs, () => link.session?.heartbeat(), true);
  }

  /**
   * Commit `batch` behind every batch already queued, from any socket: during a token refresh two
   * sockets deliver the same rows, and each batch is planned against the watermark the previous
   * one committed, so the second copy is dropped as a duplicate (SPEC.md A2).
   */
  private apply(batch: SyncBatch): Promise<void> {
    const run = this.applying.then(async () => {
      await this.driver.applyBatch(batch);
      this.refresh();
      const w = this.driver.lastApplied(batch.topic);
      if (w !== undefined) this.link?.session?.committed?.(batch.topic, w);
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  private sink(link: SocketLink): LaneSink {
    const current = (): boolean => link === this.link;
    const standby = (): StandbyLink | undefined => (link === this.standby?.link ? this.standby : undefined);
    const inbound = link.inbound;
    // Replies and errors act after the batches of the same inbound frame have committed.
    const afterApply = (act: () => void): void =>
      inbound.after(() => {
        act();
        this.refresh();
      });
    // Anything but data and a subscribe ok on a standby gives it up; the current socket carries on.
    const orDrop = (what: string, act: () => void): void => {
      const s = standby();
      if (s !== undefined) this.dropStandby(ErrorCodes.CHANNEL_CLOSED, what);
      else if (current()) act();
    };
    return {
      ready: () => {
        const s = standby();
        if (s !== undefined) return this.standbyJoined(s);
        if (!current()) return;
        link.clear('join');
        this.setStatus('replaying', undefined);
        this.keepAlive(link);
        this.driver.ready();
        this.refresh();
      },
      joinFailed: (error) =>
        orDrop(`join failed (${error.code})`, () => {
          link.clear('join');
          if (STOP_CODES.has(error.code)) return this.halt(new ServerError(error.code as never, error.message ?? error.code, { details: { payload: error.raw } }));
          this.hooks.error(serverError(error, undefined, true));
          this.reconnect(error.retryAfterMs, `join_failed:${error.code}`);
        }),
      batch: (batch: SyncBatch) => link.live() && inbound.chain(() => this.apply(batch)),
      subscribed: (requestId, topics) =>
        afterApply(() => {
          const s = standby();
          if (s === undefined) return current() && this.driver.subscribed(requestId, topics);
          if (s.subscribed(topics)) this.switchOver(s);
        }),
      subscribeFailed: (requestId, topics, error) => afterApply(() => orDrop(`subscribe failed (${error.code})`, () => this.driver.subscribeFailed(requestId, topics, error))),
      serverError: (error) => afterApply(() => orDrop(`server error (${error.code})`, () => this.driver.serverError(error))),
      heartbeat: (watermarks) => current() && this.hooks.heartbeat(watermarks),
      channelDown: (reason) =>
        orDrop(reason, () => {
          this.hooks.error(new TransportError(ErrorCodes.CHANNEL_CLOSED, `server ended the channel (${reason}) while the socket stayed open`, { retryable: true }));
          this.reconnect(undefined, reason);
        }),
      protocolError: (error) => {
        if (!link.live()) return;
        this.metrics.framesRejected++;
        this.metrics.framesRejectedByCode[error.code] = (this.metrics.framesRejectedByCode[error.code] ?? 0) + 1;
        this.hooks.error(error);
        if (error.code === ErrorCodes.FRAME_TOO_LARGE && error.topic !== undefined) this.driver.oversized(error.topic);
      },
      lastApplied: (topic) => this.driver.lastApplied(topic),
      carriesHashes: (topic) => this.driver.carriesHashes(topic),
      notice: (notice) => link.live() && this.notify(notice),
      report: (error) => link.live() && this.hooks.error(error),
    };
  }
}
