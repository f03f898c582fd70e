import type { LaneSession } from '../adapters/lane.js';
import { clipCloseReason } from '../transport/utf8-bytes.js';
import type { Transport } from '../transport/transport.js';
import { InboundQueue, type InboundFlow } from './inbound-queue.js';

/**
 * One socket of a connection and the lane conversation on it, with the timers that belong to it.
 * A connection has one current link and, while a token refresh runs, a standby link; `live()`
 * says whether the link still serves the connection in either role, so a replaced socket's frames
 * and callbacks are dropped.
 */
export class SocketLink {
  transport: Transport | undefined;
  session: LaneSession | undefined;
  /** The transport reported open. */
  opened = false;
  /** Unix ms of the latest inbound frame (the open counts as one). */
  lastInbound = 0;
  /** It went over its inbound budget and cannot pause: its later frames are dropped. */
  overflowed = false;
  readonly inbound: InboundQueue;
  private readonly timers = new Map<string, { id: ReturnType<typeof setTimeout>; repeat: boolean }>();

  /** `flow` is the inbound byte budget, built for this link (it pauses this link's transport). */
  constructor(
    readonly live: () => boolean,
    flow: (link: SocketLink) => InboundFlow,
  ) {
    this.inbound = new InboundQueue((text, bytes) => this.session?.receive(text, bytes), live, flow(this));
  }

  /** Run `fn` after `ms` (every `ms` with `repeat`), replacing the link's timer of that name. */
  timer(name: string, ms: number, fn: () => void, repeat = false): void {
    this.clear(name);
    this.timers.set(name, { id: repeat ? setInterval(fn, ms) : setTimeout(fn, ms), repeat });
  }

  /** Cancel the named timer, if any. */
  clear(name: string): void {
    const t = this.timers.get(name);
    if (t === undefined) return;
    if (t.repeat) clearInterval(t.id);
    else clearTimeout(t.id);
    this.timers.delete(name);
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
    for (const name of [...this.timers.keys()]) this.clear(name);
    this.session?.dispose();
    this.session = undefined;
    const t = this.transport;
    this.transport = undefined;
    return t?.close(code, clipCloseReason(reason));
  }
}
