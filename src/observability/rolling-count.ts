/**
 * How many events happened in the last `windowMs`, in one-second buckets: memory stays at most one
 * bucket per second of the window however fast events come (a server sending refused frames as
 * fast as it can must not grow a list of timestamps). An event counts until its whole second has
 * left the window, so the count may include up to one second more than `windowMs`.
 */
export class RollingCount {
  /** `[second, events]`, oldest first. */
  private readonly buckets: Array<[number, number]> = [];
  private total = 0;

  constructor(private readonly windowMs: number) {}

  /** Count one event at `now` (Unix ms) and return the count over the window ending then. */
  add(now: number): number {
    const second = Math.floor(now / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && last[0] === second) last[1]++;
    else this.buckets.push([second, 1]);
    this.total++;
    while (this.buckets[0]![0] * 1000 + 999 < now - this.windowMs) this.total -= this.buckets.shift()![1];
    return this.total;
  }

  /** Buckets held (tests: the memory bound). */
  get size(): number {
    return this.buckets.length;
  }
}
