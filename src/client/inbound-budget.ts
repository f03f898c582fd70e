import type { Transport } from '../transport/transport.js';
import type { InboundFlow } from './inbound-queue.js';

/** What the budget acts on: the current socket and what to do when it cannot be paused. */
export interface BudgetTarget {
  /** The socket the queue belongs to, while it is still the current one. */
  transport(): Transport | undefined;
  /** Reading was paused (true) or resumed (false). */
  paused(paused: boolean): void;
  /** The transport cannot pause and the backlog went over budget. */
  overflow(): void;
}

/**
 * The inbound byte budget of one socket: above `maxInboundBytes` queued, a pausable transport stops
 * being read until the backlog is back to half of it (so the socket is not toggled on every frame).
 * A transport that cannot pause (browser WebSocket) reports an overflow instead; the connection then
 * stops queueing, finishes what it holds and reconnects from its durable watermark.
 */
export function inboundBudget(maxInboundBytes: number, target: BudgetTarget): InboundFlow {
  return {
    highWater: maxInboundBytes,
    lowWater: Math.floor(maxInboundBytes / 2),
    onPressure(over) {
      const t = target.transport();
      if (t === undefined) return;
      if (t.pause !== undefined && t.resume !== undefined) {
        if (over) t.pause();
        else t.resume();
        target.paused(over);
      } else if (over) {
        target.overflow();
      }
    },
  };
}
