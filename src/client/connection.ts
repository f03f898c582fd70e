import type { ClientInfo, Lane, LaneNotice, LaneSession, LaneSink } from '../adapters/lane.js';
import { frameTooLarge } from '../adapters/frame-too-large.js';
import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { ServerError } from '../errors/server-error.js';
import { TransportError } from '../errors/transport-error.js';
import { serverError, STOP_CODES } from '../replay/transitions.js';
import type { SyncBatch } from '../model/types.js';
import { assertSecureUrl } from '../transport/secure-url.js';
import { clipCloseReason } from '../transport/utf8-bytes.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo, type OpenInfo, type Transport, type TransportFactory } from '../transport/transport.js';
import type { ClientStatus } from './options.js';
import { inboundBudget } from './inbound-budget.js';
import { InboundQueue } from './inbound-queue.js';
import { LivenessProbes, type ProbeResult } from './liveness-probe.js';
import { REFUSAL_CLOSE_CODES, RefusalCounter } from './refusals.js';
import { connectionMetrics, countNotice, type ConnectionMetrics } from './metrics.js';
import type { DriverTransport, ReplayDriver } from './replay-driver.js';
import { SignInRequiredError } from './token-provider.js';

/** Resolved settings of a connection. */
export interface ConnectionSettings {
  url: string;
  lane: Lane;
  transport: TransportFactory;
  token: () => Promise<string>;
  clientInfo: ClientInfo;
  reconnectDelay: (attempt: number) => number;
  allowInsecure: boolean;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  joinTimeoutMs: number;
  stableAfterMs: number;
  maxFrameBytes: number;
  maxRefusals: number;
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
  /** A lane diagnostic (head probe, reply correlation, checkpoint ack). */
  notice(notice: LaneNotice): void;
}

const TERMINAL: ReadonlySet<ClientStatus> = new Set(['closed', 'upgrade_required', 'auth_required', 'incompatible_server']);

/** The terminal status a stop code leads to (SPEC.md C1): `reauth_required` asks for sign-in, the rest for an upgrade. */
function statusForStopCode(code: string): ClientStatus {
  return code === ErrorCodes.REAUTH_REQUIRED ? 'auth_required' : 'upgrade_required';
}

/**
 * One logical connection that outlives its sockets: dial with a fresh token, join, keep alive with
 * heartbeats, declare silence dead, and reconnect with backoff. It feeds what the lane reports to
 * the replay driver it owns, and is that driver's transport (subscribe, unsubscribe, reconnect,
 * halt). Inbound frames are handled strictly one after another; a batch's store commit finishes
 * before the next frame is looked at.
 */
export class Connection implements DriverTransport {
  status: ClientStatus = 'idle';
  /** The replay driver this connection feeds; it sends through this connection. */
  readonly driver: ReplayDriver;
  /** Counters this connection keeps (plain fields: read them, never write them). */
  readonly metrics: ConnectionMetrics = connectionMetrics();
  private transport: Transport | undefined;
  private session: LaneSession | undefined;
  private generation = 0;
  private attempt = 0;
  private floorMs = 0;
  private authRetried = false;
  private opened = false;
  /** The current socket's subscription went live (a close after that is not a refusal). */
  private wentLive = false;
  private readonly refusals: RefusalCounter;
  private lastInbound = 0;
  private inbound: InboundQueue | undefined;
  /** The current socket went over its inbound budget and cannot pause: its later frames are dropped. */
  private overflowed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private watchdogTimer: ReturnType<typeof setInterval> | undefined;
  private joinTimer: ReturnType<typeof setTimeout> | undefined;
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
  }

  /** Start (or restart after a terminal status). */
  start(): void {
    if (this.transport !== undefined || this.reconnectTimer !== undefined) return;
    this.attempt = 0;
    this.authRetried = false;
    this.refusals.reset();
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
    const session = this.session;
    if (session === undefined || !this.opened) return Promise.resolve('not_connected');
    // Not reading because of our own backlog: the server was heard from, and no reply could arrive.
    if (this.inbound?.over === true) return Promise.resolve('alive');
    const { result, started } = this.probes.probe(timeoutMs, () => session.heartbeat());
    if (started) void result.then((r) => r === 'dead' && session === this.session && this.reconnect(undefined, 'probe_timeout'));
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
    return this.joined() ? this.session?.subscribe(topics, resumeAfter) : undefined;
  }

  /** Send an unsubscribe (dropped when not joined: the next join does not subscribe the topics). */
  unsubscribe(topics: string[]): void {
    if (this.joined()) this.session?.unsubscribe(topics);
  }

  /** Report `error` and stop until the app calls `start` again (SPEC.md C1). */
  halt(error: KhalaSyncError): void {
    this.hooks.error(error);
    this.stop(statusForStopCode(error.code), error.code);
  }

  /** Inbound frames (and their bytes) received on the current socket but not yet handled. */
  inboundBacklog(): { frames: number; bytes: number; paused: boolean } {
    const q = this.inbound;
    return q === undefined ? { frames: 0, bytes: 0, paused: false } : { frames: q.depth, bytes: q.bytes, paused: q.over && !this.overflowed };
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
    if (next === 'live') {
      this.wentLive = true;
      this.refusals.reset();
      clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => {
        if (this.status === 'live') this.attempt = 0;
      }, this.settings.stableAfterMs);
    }
  }

  private setStatus(status: ClientStatus, reason: string | undefined): void {
    if (this.status === status) return;
    this.status = status;
    this.hooks.status(status, reason);
  }

  private async dial(): Promise<void> {
    const gen = ++this.generation;
    this.setStatus('connecting', undefined);
    let token: string;
    try {
      token = await this.settings.token();
    } catch (err) {
      if (gen !== this.generation) return;
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
    if (gen !== this.generation) return;
    const url = this.settings.lane.buildUrl(this.settings.url, token, this.settings.clientInfo);
    try {
      assertSecureUrl(url, this.settings.allowInsecure);
    } catch (err) {
      this.hooks.error(err as KhalaSyncError);
      return this.stop('closed', 'insecure_transport');
    }
    this.opened = false;
    this.overflowed = false;
    const live = (): boolean => gen === this.generation;
    this.inbound = new InboundQueue(
      (text, bytes) => this.session?.receive(text, bytes),
      live,
      inboundBudget(this.settings.maxInboundBytes, {
        transport: () => (live() ? this.transport : undefined),
        paused: (paused) => {
          if (paused) this.metrics.inboundPauses++;
          // Silence while paused was ours: the dead-socket watchdog starts over.
          else this.lastInbound = Date.now();
        },
        overflow: () => this.overflow(gen),
      }),
    );
    this.transport = this.settings.transport(
      url,
      {
        onOpen: (info) => gen === this.generation && this.onOpen(gen, info),
        onMessage: (text, bytes) => gen === this.generation && this.onMessage(text, bytes),
        onClose: (info) => gen === this.generation && this.onClose(info),
      },
      { protocols: this.settings.lane.protocols, maxFrameBytes: this.settings.maxFrameBytes },
    );
  }

  private onOpen(gen: number, info: OpenInfo | undefined): void {
    const offered = this.settings.lane.protocols;
    // A lane that offers subprotocols speaks only those: a server that echoed none or another one
    // would answer in a format the session cannot read (SPACETIME_PROTOCOL §1.2, §5 rule 1). Retrying
    // would get the same answer, so the client stops until the app acts. A transport that cannot
    // tell (`protocol` undefined) is trusted.
    const selected = info?.protocol;
    if (offered !== undefined && offered.length > 0 && selected !== undefined && !offered.includes(selected)) return this.subprotocolMismatch(offered, selected);
    this.opened = true;
    this.wentLive = false;
    this.authRetried = false;
    this.lastInbound = Date.now();
    this.setStatus('joining', undefined);
    this.session = this.settings.lane.createSession({
      send: (text) => gen === this.generation && this.transport?.send(text),
      sink: this.sink(gen),
      maxFrameBytes: this.settings.maxFrameBytes,
      clientInfo: this.settings.clientInfo,
    });
    this.session.start();
    this.joinTimer = setTimeout(() => {
      this.hooks.error(new TransportError(ErrorCodes.REPLY_TIMEOUT, `no join reply within ${this.settings.joinTimeoutMs} ms`, { retryable: true }));
      this.reconnect(undefined, 'join_timeout');
    }, this.settings.joinTimeoutMs);
    const tick = Math.max(50, Math.min(this.settings.deadAfterMs / 3, 5000));
    this.watchdogTimer = setInterval(() => {
      if (this.inbound?.over === true) return;
      if (Date.now() - this.lastInbound > this.settings.deadAfterMs) {
        this.hooks.error(new TransportError(ErrorCodes.HEARTBEAT_TIMEOUT, `no inbound frame for ${this.settings.deadAfterMs} ms; connection declared dead`, { retryable: true }));
        this.reconnect(undefined, 'heartbeat_timeout');
      }
    }, tick);
  }

  private onMessage(text: string, bytes: number): void {
    this.lastInbound = Date.now();
    this.probes.settle('alive');
    if (this.overflowed) return;
    this.inbound?.push(text, bytes);
  }

  /**
   * The backlog went over budget on a socket that cannot pause: stop queueing its frames, finish the
   * ones held (all within budget), then reconnect; the new socket resumes from the durable watermark,
   * so what was dropped is delivered again.
   */
  private overflow(gen: number): void {
    this.overflowed = true;
    this.metrics.inboundOverflows++;
    this.hooks.error(
      new TransportError(ErrorCodes.INBOUND_OVERFLOW, `inbound backlog above maxInboundBytes (${this.settings.maxInboundBytes}) and the transport cannot pause; reconnecting once drained`, {
        retryable: true,
      }),
    );
    void this.inbound?.drained().then(() => gen === this.generation && this.reconnect(undefined, 'inbound_overflow'));
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

  private onClose(info: CloseInfo): void {
    const wasOpen = this.opened;
    const offered = this.settings.lane.protocols;
    if (!wasOpen && info.reason === SUBPROTOCOL_MISMATCH_REASON && offered !== undefined && offered.length > 0) {
      this.teardown(info.code, 'closed');
      return this.subprotocolMismatch(offered, undefined);
    }
    this.teardown(info.code, 'closed');
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
    } else if (!this.wentLive && REFUSAL_CLOSE_CODES.has(info.code)) {
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
    this.generation++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.watchdogTimer);
    clearTimeout(this.joinTimer);
    clearTimeout(this.stableTimer);
    this.session?.dispose();
    this.session = undefined;
    const t = this.transport;
    this.transport = undefined;
    this.track(t?.close(code, clipCloseReason(reason)));
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

  private sink(gen: number): LaneSink {
    const live = (): boolean => gen === this.generation;
    const inbound = this.inbound!;
    // Replies and errors act after the batches of the same inbound frame have committed.
    const afterApply = (act: () => void): void =>
      inbound.after(() => {
        act();
        this.refresh();
      });
    return {
      ready: () => {
        if (!live()) return;
        clearTimeout(this.joinTimer);
        this.setStatus('replaying', undefined);
        this.heartbeatTimer = setInterval(() => this.session?.heartbeat(), this.settings.heartbeatIntervalMs);
        this.driver.ready();
        this.refresh();
      },
      joinFailed: (error) => {
        if (!live()) return;
        clearTimeout(this.joinTimer);
        if (STOP_CODES.has(error.code)) return this.halt(new ServerError(error.code as never, error.message ?? error.code, { details: { payload: error.raw } }));
        this.hooks.error(serverError(error, undefined, true));
        this.reconnect(error.retryAfterMs, `join_failed:${error.code}`);
      },
      batch: (batch: SyncBatch) =>
        live() &&
        inbound.chain(() =>
          this.driver.applyBatch(batch).then(() => {
            this.refresh();
            const w = this.driver.lastApplied(batch.topic);
            if (live() && w !== undefined) this.session?.committed?.(batch.topic, w);
          }),
        ),
      subscribed: (requestId, topics) => afterApply(() => this.driver.subscribed(requestId, topics)),
      subscribeFailed: (requestId, topics, error) => afterApply(() => this.driver.subscribeFailed(requestId, topics, error)),
      serverError: (error) => afterApply(() => this.driver.serverError(error)),
      heartbeat: (watermarks) => live() && this.hooks.heartbeat(watermarks),
      channelDown: (reason) => {
        if (!live()) return;
        this.hooks.error(new TransportError(ErrorCodes.CHANNEL_CLOSED, `server ended the channel (${reason}) while the socket stayed open`, { retryable: true }));
        this.reconnect(undefined, reason);
      },
      protocolError: (error) => {
        if (!live()) return;
        this.metrics.framesRejected++;
        this.metrics.framesRejectedByCode[error.code] = (this.metrics.framesRejectedByCode[error.code] ?? 0) + 1;
        this.hooks.error(error);
        if (error.code === ErrorCodes.FRAME_TOO_LARGE && error.topic !== undefined) this.driver.oversized(error.topic);
      },
      lastApplied: (topic) => this.driver.lastApplied(topic),
      notice: (notice) => {
        if (!live()) return;
        countNotice(this.metrics, notice);
        this.hooks.notice(notice);
      },
      report: (error) => live() && this.hooks.error(error),
    };
  }
}
