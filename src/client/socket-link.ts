import type { LaneSession } from '../adapters/lane.js';
import { ErrorCodes, type ErrorCode } from '../errors/codes.js';
import { ProtocolError } from '../errors/protocol-error.js';
import { assertSecureUrl } from '../transport/secure-url.js';
import { clipCloseReason } from '../transport/utf8-bytes.js';
import type { CloseInfo, OpenInfo, Transport, TransportHandlers } from '../transport/transport.js';
import type { Connection } from './connection.js';
import { InboundQueue, type InboundFlow } from './inbound-queue.js';
import { LinkSink } from './link-sink.js';
import { ReplyDeadline } from './reply-deadline.js';

/**
 * One socket of a connection and the lane conversation on it, with the timers that belong to it.
 * A connection has one current link and, while a token refresh runs, a standby link; `live()`
 * says whether the link still serves the connection in either role, so a replaced socket's frames
 * and callbacks are dropped. The link is its transport's handlers, its queue's byte budget and its
 * session's sink itself: one object per socket keeps an idle client small (docs/benchmarks.md).
 *
 * The budget: above `maxInboundBytes` queued, a pausable transport stops being read until the
 * backlog is back to half of it (so the socket is not toggled on every frame). A transport that
 * cannot pause (browser WebSocket) reports an overflow instead; the link then stops queueing,
 * finishes what it holds and the connection reconnects from its durable watermark.
 */
export class SocketLink extends LinkSink implements TransportHandlers, InboundFlow {
  transport: Transport | undefined;
  session: LaneSession | undefined;
  /** The transport reported open. */
  opened = false;
  /** Unix ms of the latest inbound frame (the open counts as one). */
  lastInbound = 0;
  /** It went over its inbound budget and cannot pause: its later frames are dropped. */
  overflowed = false;
  /** Its subscribes awaiting a reply; made by the first subscribe sent on it. */
  replies: ReplyDeadline | undefined;
  readonly inbound: InboundQueue;
  readonly highWater: number;
  readonly lowWater: number;
  /** Its timers by name (at most one of each: `join`, `heartbeat`, `watchdog`, `reply`, `standby`). */
  readonly #timers: Record<string, ReturnType<typeof setTimeout> | undefined> = {};

  /** A socket to the server with `token`. Throws `insecure_transport` for a clear-text URL. */
  constructor(c: Connection, token: string) {
    super(c);
    const s = c.settings;
    const url = s.lane.buildUrl(s.url, token, s.clientInfo);
    assertSecureUrl(url, s.allowInsecure);
    this.highWater = s.maxInboundBytes;
    this.lowWater = Math.floor(s.maxInboundBytes / 2);
    this.inbound = new InboundQueue(
      (text, bytes) => this.session?.receive(text, bytes),
      () => this.live(),
      this,
    );
    this.transport = s.transport(url, this, { protocols: s.lane.protocols, maxFrameBytes: s.maxFrameBytes });
  }

  onOpen(info?: OpenInfo): void {
    if (this.live()) this.conn.opened(this, info);
  }

  onMessage(text: string, bytes: number): void {
    if (!this.live()) return;
    this.#heard();
    if (!this.overflowed) this.inbound.push(text, bytes);
  }

  /**
   * A frame that cannot be read (not UTF-8, or, with `reason`, breaking the WebSocket protocol:
   * the socket then closes): it counts as inbound traffic and is refused unread.
   */
  onUndecodable(bytes: number, reason?: string): void {
    if (!this.live()) return;
    this.#heard();
    this.protocolError(new ProtocolError(ErrorCodes.MALFORMED_FRAME, reason ?? 'binary frame is not UTF-8', { details: { bytes, reason } }));
  }

  onClose(info: CloseInfo): void {
    if (this.live()) this.conn.closed(this, info);
  }

  /** Any frame answers a pending liveness probe of the current socket. */
  #heard(): void {
    this.lastInbound = Date.now();
    if (this.current()) this.conn.settleProbe('alive');
  }

  /** The inbound backlog crossed the budget: pause or resume the transport, or report an overflow. */
  onPressure(over: boolean): void {
    const t = this.live() ? this.transport : undefined;
    if (t === undefined) return;
    if (t.pause !== undefined && t.resume !== undefined) {
      if (over) {
        t.pause();
        this.conn.metrics.inboundPauses++;
      } else {
        t.resume();
        // Silence while paused was ours: the dead-socket watchdog starts over.
        this.lastInbound = Date.now();
      }
    } else if (over) {
      this.#overflow();
    }
  }

  /**
   * The backlog went over budget and the transport cannot pause: stop queueing frames, finish the
   * ones held (all within budget), then reconnect; the new socket resumes from the durable
   * watermark, so what was dropped is delivered again. A standby that overflows is simply given up.
   */
  #overflow(): void {
    const c = this.conn;
    this.overflowed = true;
    c.metrics.inboundOverflows++;
    if (this.standby()) return c.swap.drop(ErrorCodes.INBOUND_OVERFLOW, 'inbound backlog above maxInboundBytes');
    c.fail(ErrorCodes.INBOUND_OVERFLOW, `inbound backlog above maxInboundBytes (${this.highWater}); reconnecting`);
    void this.inbound.drained().then(() => this.current() && c.reconnect(undefined, 'inbound_overflow'));
  }

  /** The transport opened: start the lane conversation on it. */
  start(): void {
    const s = this.conn.settings;
    this.opened = true;
    this.lastInbound = Date.now();
    this.session = s.lane.createSession({
      send: (text) => this.live() && this.transport?.send(text),
      sink: this,
      maxFrameBytes: s.maxFrameBytes,
      clientInfo: s.clientInfo,
    });
    this.session.start();
  }

  /** Run `fn` after `ms` (every `ms` with `repeat`), replacing the link's timer of that name. */
  timer(name: string, ms: number, fn: () => void, repeat?: boolean): void {
    this.clear(name);
    // clearTimeout clears an interval too (HTML timers; Node's clearInterval is clearTimeout).
    this.#timers[name] = repeat ? setInterval(fn, ms) : setTimeout(fn, ms);
  }

  /** Cancel the named timer, if any. */
  clear(name: string): void {
    clearTimeout(this.#timers[name]);
    this.#timers[name] = undefined;
  }

  /**
   * Give `what` `joinTimeoutMs` to happen: else report a retryable `code` and reconnect for
   * `reason`. The handshake's (`open_timeout`) is replaced by the join's once open: a peer that takes
   * the TCP connection and never answers the upgrade would otherwise hold `connecting` for good.
   */
  deadline(what: string, reason: string, code: ErrorCode = ErrorCodes.REPLY_TIMEOUT): void {
    const ms = this.conn.settings.joinTimeoutMs;
    this.timer('join', ms, () => this.missed(code, what, ms, reason));
  }

  /** A deadline of this socket passed (no `what` within `ms`): report `code`, then reconnect for `reason`. */
  missed(code: ErrorCode, what: string, ms: number, reason: string): void {
    this.conn.fail(code, `no ${what} within ${ms} ms`);
    this.conn.reconnect(undefined, reason);
  }

  /** Send a heartbeat every `heartbeatIntervalMs` (the socket serves as the current one). */
  keepAlive(): void {
    this.timer('heartbeat', this.conn.settings.heartbeatIntervalMs, () => this.session?.heartbeat(), true);
  }

  /** Declare the socket dead after `deadAfterMs` of inbound silence (`heartbeat_timeout`); silence while our own backlog pauses it does not count. */
  watch(): void {
    const ms = this.conn.settings.deadAfterMs;
    const dead = (): unknown => !this.inbound.over && Date.now() - this.lastInbound > ms && this.missed(ErrorCodes.HEARTBEAT_TIMEOUT, 'inbound frame', ms, 'heartbeat_timeout');
    this.timer('watchdog', Math.max(50, Math.min(ms / 3, 5000)), dead, true);
  }

  /** Send a subscribe with `send` (it returns the request id); no reply within `subscribeTimeoutMs` of the last progress is `reply_timeout` (SPEC.md S8). */
  subscribe(topics: string[], send: () => number): number {
    return (this.replies ??= new ReplyDeadline(this, this.conn.settings.subscribeTimeoutMs)).send(topics, send);
  }

  /** Stop its timers, end the lane session and close the socket; resolves when the socket is released. */
  close(code: number, reason: string): void | Promise<void> {
    for (const name in this.#timers) this.clear(name);
    this.session?.dispose();
    this.session = undefined;
    const t = this.transport;
    this.transport = undefined;
    return t?.close(code, clipCloseReason(reason));
  }
}
