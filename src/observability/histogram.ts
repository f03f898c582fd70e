import { DEFAULT_SECONDS_BUCKETS } from './metric-catalog.js';

/** A histogram's state at one moment: cumulative counts per upper bound, like Prometheus. */
export interface HistogramValue {
  /** `[upperBound, cumulative count]`, ascending; the last bound is `Infinity`. */
  readonly buckets: ReadonlyArray<readonly [number, number]>;
  /** Sum of every observed value. */
  readonly sum: number;
  /** Number of observed values. */
  readonly count: number;
}

/**
 * Fixed-bucket histogram. `observe` is a short linear scan over ~15 bounds and three number
 * writes: cheap enough for once per batch on the hot path, with no allocation.
 */
export class Histogram {
  private readonly bounds: readonly number[];
  private readonly counts: number[];
  /** Sum of every observed value so far. */
  sum = 0;
  /** Number of values observed so far. */
  count = 0;
  /** Called with every observed value (the OpenTelemetry bridge sets it). Default none. */
  listener: ((value: number) => void) | undefined;

  constructor(bounds: readonly number[] = DEFAULT_SECONDS_BUCKETS) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Record one value (in the metric's unit). Non-finite or negative values are ignored. */
  observe(value: number): void {
    if (!(value >= 0) || value === Infinity) return;
    let i = 0;
    const b = this.bounds;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (this.listener !== undefined) this.listener(value);
  }

  /** Cumulative view for export. */
  value(): HistogramValue {
    const buckets: Array<readonly [number, number]> = [];
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]!;
      buckets.push([i < this.bounds.length ? this.bounds[i]! : Infinity, acc]);
    }
    return { buckets, sum: this.sum, count: this.count };
  }
}
