import { DEFAULT_SECONDS_BUCKETS, type MetricDef } from './metric-catalog.js';
import type { MetricsRegistry } from './registry.js';

// The subset of `@opentelemetry/api`'s Meter this bridge uses, written out so that neither the
// code nor its type declarations need the package: it is an optional peer dependency.

/** Attributes of one observation. */
export type OtelAttributes = Record<string, string>;
/** `ObservableResult` of `@opentelemetry/api`. */
export interface OtelObservableResult {
  /** Report the current value of one series. */
  observe(value: number, attributes?: OtelAttributes): void;
}
/** `ObservableCounter` / `ObservableGauge` of `@opentelemetry/api`. */
export interface OtelObservable {
  /** Called at each collection to observe the values. */
  addCallback(callback: (result: OtelObservableResult) => void): void;
  /** Stop calling `callback` (on `close()`). */
  removeCallback(callback: (result: OtelObservableResult) => void): void;
}
/** `Histogram` of `@opentelemetry/api`. */
export interface OtelHistogram {
  /** Record one observation. */
  record(value: number, attributes?: OtelAttributes): void;
}
/** Options the bridge passes when creating an instrument. */
export interface OtelInstrumentOptions {
  /** The metric's help text. Default none. */
  description?: string;
  /** The metric's UCUM unit. Default none. */
  unit?: string;
  /** Bucket bounds for a histogram: the catalog's own, so both exports agree. Default: the SDK's. */
  advice?: { explicitBucketBoundaries?: number[] };
}
/** The `Meter` methods the bridge calls (a real `@opentelemetry/api` Meter fits). */
export interface OtelMeter {
  /** A counter read at collection time. */
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
  /** A gauge read at collection time. */
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  /** A histogram fed each observation as it happens. */
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
}

/** Options of {@link bindOpenTelemetry}. */
export interface OpenTelemetryOptions {
  /** Meter to report to. Default: `metrics.getMeter('khala-sync')` of `@opentelemetry/api` if it can be imported. */
  meter?: OtelMeter;
  /** Attributes added to every observation (e.g. `{ 'khala_sync.client': 'desktop' }`). Default none. */
  attributes?: OtelAttributes;
}

/** A live binding; `close()` detaches every callback and listener. */
export interface OpenTelemetryBinding {
  /** False when no meter was given and `@opentelemetry/api` is not installed: nothing is reported. */
  readonly active: boolean;
  /** Remove every callback and listener: the meter stops reading the client. */
  close(): void;
}

const NOOP: OpenTelemetryBinding = Object.freeze({ active: false, close: () => undefined });

async function defaultMeter(): Promise<OtelMeter | undefined> {
  // A variable specifier keeps bundlers from requiring the optional package at build time.
  const specifier = '@opentelemetry/api';
  try {
    const api = (await import(/* @vite-ignore */ specifier)) as { metrics?: { getMeter(name: string): OtelMeter } };
    return api.metrics?.getMeter('khala-sync');
  } catch {
    return undefined;
  }
}

function options(def: MetricDef): OtelInstrumentOptions {
  return { description: def.help, unit: def.unit };
}

/**
 * Report a registry through OpenTelemetry: counters become observable counters and gauges
 * observable gauges (read at each collection, so the counting code never calls OpenTelemetry), and
 * histograms record every value observed after binding. Without `@opentelemetry/api` (and no
 * `meter`), this resolves to an inactive binding and costs nothing.
 */
export async function bindOpenTelemetry(registry: MetricsRegistry, opts: OpenTelemetryOptions = {}): Promise<OpenTelemetryBinding> {
  const meter = opts.meter ?? (await defaultMeter());
  if (meter === undefined) return NOOP;
  const base = opts.attributes ?? {};
  const undo: Array<() => void> = [];
  for (const def of registry.definitions()) {
    if (def.kind === 'histogram') {
      const h = registry.histogramOf(def.name);
      if (h === undefined) continue;
      const otel = meter.createHistogram(def.name, { ...options(def), advice: { explicitBucketBoundaries: [...(def.buckets ?? DEFAULT_SECONDS_BUCKETS)] } });
      h.listener = (v) => otel.record(v, base);
      undo.push(() => (h.listener = undefined));
      continue;
    }
    const instrument = def.kind === 'counter' ? meter.createObservableCounter(def.name, options(def)) : meter.createObservableGauge(def.name, options(def));
    const callback = (result: OtelObservableResult): void => {
      const m = registry.read(def.name);
      if (m === undefined) return;
      for (const s of m.samples) result.observe(s.value, s.label === undefined || def.label === undefined ? base : { ...base, [def.label]: s.label });
    };
    instrument.addCallback(callback);
    undo.push(() => instrument.removeCallback(callback));
  }
  return {
    active: true,
    close: () => {
      for (const u of undo.splice(0)) u();
    },
  };
}
