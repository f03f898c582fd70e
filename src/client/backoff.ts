import { MAX_TIMER_MS } from '../util/timers.js';

/** First reconnect delay ceiling, ms (KHALA_PROTOCOL §14.10). */
export const BACKOFF_BASE_MS = 250;
/** Largest reconnect delay ceiling, ms. */
export const BACKOFF_CAP_MS = 8000;

/**
 * Default reconnect delay: exponential ceiling 250 ms · 2^(attempt-1), capped at 8 s, with full
 * jitter (a uniform draw in [0, ceiling]) so a fleet that lost the same server spreads its
 * reconnects instead of arriving together. `attempt` starts at 1. `random` is injectable for tests.
 */
export function defaultReconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(Math.max(attempt, 1) - 1, 10), BACKOFF_CAP_MS);
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retry `attempt`: the app's `reconnectDelay(attempt)`, or {@link defaultReconnectDelay}
 * when it throws or returns anything but a number of ms a timer can hold (NaN, negative, over ~24.8
 * days), raised to a server's `retryAfterMs` (capped at `maxRetryAfterMs`) when that is a positive
 * number. Garbage must not become a zero wait: every failure would then redial at once, for ever.
 */
export function retryDelay(reconnectDelay: (attempt: number) => number, attempt: number, retryAfterMs: unknown, maxRetryAfterMs: number): number {
  let d: number;
  try {
    d = reconnectDelay(attempt);
  } catch {
    d = NaN;
  }
  if (!(d >= 0 && d <= MAX_TIMER_MS)) d = defaultReconnectDelay(attempt);
  return typeof retryAfterMs === 'number' && retryAfterMs > 0 ? Math.max(d, Math.min(retryAfterMs, maxRetryAfterMs)) : d;
}
