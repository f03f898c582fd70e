import { Histogram, type HistogramValue } from './histogram.js';
import type { MetricDef } from './metric-catalog.js';

/** One labelled value of a counter or gauge. `label` is undefined for an unlabelled metric. */
export interface Sample {
  /** The label value of this series; undefined for a metric without a label. */
  readonly label: string | undefined;
  /** The series' value when the snapshot was taken. */
  readonly value: number;
}

/** One metric in a {@link MetricsSnapshot}. Counters and gauges carry samples; histograms a value. */
export interface MetricSnapshot {
  /** The metric's definition (name, kind, unit, help). */
  readonly def: MetricDef;
  /** Its series (one per label value); empty for a histogram. */
  readonly samples: readonly Sample[];
  /** A histogram's buckets, sum and count; only for a histogram. */
  readonly histogram?: HistogramValue;
}

/** Every registered metric at one moment. */
export interface MetricsSnapshot {
  /** Unix ms when taken. */
  readonly at: number;
  /** Every registered metric, in registration order. */
  readonly metrics: readonly MetricSnapshot[];
}

/** A value, or one value per label value, read when a snapshot is taken. */
export type Reading = number | Readonly<Record<string, number>>;

interface Entry {
  readonly def: MetricDef;
  readonly read: () => Reading | Histogram;
}

/** A counter owned by the registry: a plain number field (`c.value += n` on the hot path). */
export class Counter {
  /** The count so far; the hot path adds to it directly. */
  value = 0;
  /** Add `n` (default 1). */
  inc(n = 1): void {
    this.value += n;
  }
}

/** Distinct values one label may take before further ones are counted under `other`. */
export const MAX_LABEL_VALUES = 64;

/** Longest label value kept, characters; a longer one is counted under `other`. */
export const MAX_LABEL_CHARS = 64;

/**
 * A counter split by one label. Label values are whatever the caller passes (e.g. any error code,
 * including ones added later), but a server sending ever-new codes cannot grow the series without
 * bound: past {@link MAX_LABEL_VALUES} distinct values, new ones count as `other`; so does a value
 * longer than {@link MAX_LABEL_CHARS} (a server's stale reason can be as long as a frame).
 */
export class LabeledCounter {
  /** Count per label value (`other` past the caps). */
  readonly values: Record<string, number> = Object.create(null) as Record<string, number>;
  private distinct = 0;
  /** Add `n` (default 1) to the series of label `value`. */
  inc(value: string, n = 1): void {
    const label = value.length > MAX_LABEL_CHARS ? 'other' : value;
    const current = this.values[label];
    if (current !== undefined) {
      this.values[label] = current + n;
      return;
    }
    const key = this.distinct < MAX_LABEL_VALUES ? label : 'other';
    if (this.values[key] === undefined) this.distinct++;
    this.values[key] = (this.values[key] ?? 0) + n;
  }
}

/**
 * A plain in-memory metrics registry: no dependency, no timers, no global state. Instruments are
 * either owned here (`counter`, `labeled`, `histogram`) or read from someone else's plain fields at
 * snapshot time (`collect`), so the code that counts never pays for the registry.
 */
export class MetricsRegistry {
  private readonly entries = new Map<string, Entry>();

  /** A counter or gauge read from elsewhere when a snapshot is taken. */
  collect(def: MetricDef, read: () => Reading): void {
    this.add(def, read);
  }

  /** A counter owned by the registry under `def`. */
  counter(def: MetricDef): Counter {
    const c = new Counter();
    this.add(def, () => c.value);
    return c;
  }

  /** A counter split by `def.label`, owned by the registry. */
  labeled(def: MetricDef): LabeledCounter {
    const c = new LabeledCounter();
    this.add(def, () => c.values);
    return c;
  }

  /** A histogram with `def.buckets` (default seconds buckets), owned by the registry. */
  histogram(def: MetricDef): Histogram {
    const h = new Histogram(def.buckets);
    this.add(def, () => h);
    return h;
  }

  /** The histogram registered under `name`, if any (the OpenTelemetry bridge listens to it). */
  histogramOf(name: string): Histogram | undefined {
    const v = this.entries.get(name)?.read();
    return v instanceof Histogram ? v : undefined;
  }

  /** Definitions in registration order. */
  definitions(): MetricDef[] {
    return [...this.entries.values()].map((e) => e.def);
  }

  /** Read one metric now, or undefined when no metric has that name. */
  read(name: string): MetricSnapshot | undefined {
    const e = this.entries.get(name);
    return e === undefined ? undefined : readEntry(e);
  }

  /** Read every metric now. */
  snapshot(now = Date.now()): MetricsSnapshot {
    return { at: now, metrics: [...this.entries.values()].map(readEntry) };
  }

  private add(def: MetricDef, read: () => Reading | Histogram): void {
    if (this.entries.has(def.name)) throw new RangeError(`metric ${def.name} is already registered`);
    this.entries.set(def.name, { def, read });
  }
}

function readEntry({ def, read }: Entry): MetricSnapshot {
  const v = read();
  return v instanceof Histogram ? { def, samples: [], histogram: v.value() } : { def, samples: toSamples(v) };
}

function toSamples(v: Reading): Sample[] {
  if (typeof v === 'number') return [{ label: undefined, value: v }];
  return Object.keys(v)
    .sort()
    .map((label) => ({ label, value: v[label]! }));
}
