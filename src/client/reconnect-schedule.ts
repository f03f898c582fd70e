/**
 * When a connection dials next: the attempt count behind the backoff, a floor a server asked for
 * (`retry_after`), the pending reconnect timer, and a hold while the network is down. The attempt
 * count starts over once a connection stayed live for `stableAfterMs`.
 */
export class ReconnectSchedule {
  /** Reconnects since the connection was last stable (1-based once one is scheduled). */
  attempt = 0;
  #floorMs = 0;
  /** While true (the network is down), due attempts wait instead of dialling. */
  held = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;

  readonly #delay: (attempt: number) => number;
  readonly #dial: () => void;

  constructor(
    delay: (attempt: number) => number,
    dial: () => void,
  ) {
    this.#delay = delay;
    this.#dial = dial;
  }

  /** A reconnect timer is running. */
  pending(): boolean {
    return this.#timer !== undefined;
  }

  /** The next reconnect waits at least `ms`. */
  floor(ms: number): void {
    this.#floorMs = Math.max(this.#floorMs, ms);
  }

  /** Count one more attempt and return its delay (the backoff, no sooner than the floor). */
  next(): number {
    this.attempt++;
    const delay = Math.max(this.#floorMs, this.#delay(this.attempt));
    this.#floorMs = 0;
    return delay;
  }

  /** Dial after `delayMs`, unless held (releasing the hold dials then). */
  arm(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.held) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dial();
    }, delayMs);
  }

  /** Forget the pending reconnect (it will be dialled by the caller, or not at all). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Start the attempt count over after `ms` if `stillLive()` then. */
  stable(ms: number, stillLive: () => boolean): void {
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      if (stillLive()) this.attempt = 0;
    }, ms);
  }

  /** The socket went away: cancel the pending reconnect and the stability timer. */
  stop(): void {
    this.cancel();
    clearTimeout(this.#stableTimer);
  }
}
