import type { LaneSession } from '../adapters/lane.js';
import { clipCloseReason } from '../transport/utf8-bytes.js';
import type { CloseInfo, OpenInfo, Transport, TransportHandlers } from '../transport/transport.js';
import { InboundQueue, type InboundFlow } from './inbound-queue.js';
import type { ReplyDeadline } from './reply-deadline.js';

/** What a link reports to the connection that opened it (one owner serves all its links). */
export interface LinkOwner {
  /** Whether `link` still serves the connection, as its current socket or its standby. */
  serves(link: SocketLink): boolean;
  /** The link's transport paused (true) or resumed reading for the inbound budget. */
  paused(link: SocketLink, paused: boolean): void;
  /** The link's backlog went over budget and its transport cannot pause. */
  overflow(link: SocketLink): void;
  onOpen(link: SocketLink, info: OpenInfo | undefined): void;
  onMessage(link: SocketLink, text: string, bytes: number): void;
  onUndecodable(link: SocketLink, bytes: number, reason: string | undefined): void;
  onClose(link: SocketLink, info: CloseInfo): void;
}

/**
 * One socket of a connection and the lane conversation on it, with the timers that belong to it.
 * A connection has one current link and, while a token refresh runs, a standby link; `live()`
 * says whether the link still serves the connection in either role, so a replaced socket's frames
 * and callbacks are dropped. The link is its transport's handlers and its queue's byte budget
 * itself: methods rather than closures per socket keep an idle client small (docs/benchmarks.md).
 *
 * The budget: above `maxInboundBytes` queued, a pausable transport stops being read until the
 * backlog is back to half of it (so the socket is not toggled on every frame). A transport that
 * cannot pause (browser WebSocket) reports an overflow instead; the connection then stops queueing,
 * finishes what it holds and reconnects from its durable watermark.
 */
export class SocketLink implements TransportHandlers, InboundFlow {
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
  readonly #timers = new Map<string, { id: ReturnType<typeof setTimeout>; repeat: boolean }>();

  readonly #owner: LinkOwner;

  constructor(
    owner: LinkOwner,
    maxInboundBytes: number,
  ) {
    this.#owner = owner;
    this.highWater = maxInboundBytes;
    this.lowWater = Math.floor(maxInboundBytes / 2);
    this.inbound = new InboundQueue(
      (text, bytes) => this.session?.receive(text, bytes),
      () => this.live(),
      this,
    );
  }

  /** Whether the link still serves its connection (a replaced socket's events are dropped). */
  live(): boolean {
    return this.#owner.serves(this);
  }

  onOpen(info?: OpenInfo): void {
    if (this.live()) this.#owner.onOpen(this, info);
  }

  onMessage(text: string, bytes: number): void {
    if (this.live()) this.#owner.onMessage(this, text, bytes);
  }

  onUndecodable(bytes: number, reason?: string): void {
    if (this.live()) this.#owner.onUndecodable(this, bytes, reason);
  }

  onClose(info: CloseInfo): void {
    if (this.live()) this.#owner.onClose(this, info);
  }

  /** The inbound backlog crossed the budget: pause or resume the transport, or report an overflow. */
  onPressure(over: boolean): void {
    const t = this.live() ? this.transport : undefined;
    if (t === undefined) return;
    if (t.pause !== undefined && t.resume !== undefined) {
      if (over) t.pause();
      else t.resume();
      this.#owner.paused(this, over);
      // Silence while paused was ours: the dead-socket watchdog starts over.
      if (!over) this.lastInbound = Date.now();
    } else if (over) {
      this.#owner.overflow(this);
    }
  }

  /** Run `fn` after `ms` (every `ms` with `repeat`), replacing the link's timer of that name. */
  timer(name: string, ms: number, fn: () => void, repeat = false): void {
    this.clear(name);
    this.#timers.set(name, { id: repeat ? setInterval(fn, ms) : setTimeout(fn, ms), repeat });
  }

  /** Cancel the named timer, if any. */
  clear(name: string): void {
    const t = this.#timers.get(name);
    if (t === undefined) return;
    if (t.repeat) clearInterval(t.id);
    else clearTimeout(t.id);
    this.#timers.delete(name);
  }

  /** Send a heartbeat every `ms`. */
  keepAlive(ms: number): void {
    this.timer('heartbeat', ms, () => this.session?.heartbeat(), true);
  }

  /** Call `dead` once no frame arrived for `deadAfterMs` (silence while our own backlog pauses it does not count). */
  watch(deadAfterMs: number, dead: () => void): void {
    const tick = Math.max(50, Math.min(deadAfterMs / 3, 5000));
    this.timer('watchdog', tick, () => {
      if (!this.inbound.over && Date.now() - this.lastInbound > deadAfterMs) dead();
    }, true);
  }

  /** Stop its timers, end the lane session and close the socket; resolves when the socket is released. */
  close(code: number, reason: string): void | Promise<void> {
    for (const name of [...this.#timers.keys()]) this.clear(name);
    this.session?.dispose();
    this.session = undefined;
    const t = this.transport;
    this.transport = undefined;
    return t?.close(code, clipCloseReason(reason));
  }
}
