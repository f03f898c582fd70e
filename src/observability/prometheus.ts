import type { HistogramValue } from './histogram.js';
import { prometheusName } from './metric-catalog.js';
import type { MetricsSnapshot } from './registry.js';

/** `Content-Type` of the text exposition format this module writes (version 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Options of {@link renderPrometheus}. */
export interface PrometheusOptions {
  /** Labels added to every sample (e.g. `{ client: 'desktop-1' }`). Default none. */
  constLabels?: Readonly<Record<string, string>>;
}

// Written by hand rather than with prom-client: the format is a few lines of text, the client must
// stay browser-safe and dependency-free, and prom-client keeps a process-global registry that two
// clients (or the app's own metrics) in one process would fight over. docs/observability.md says more.

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function num(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

function labels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function histogramLines(name: string, h: HistogramValue, base: ReadonlyArray<readonly [string, string]>, out: string[]): void {
  for (const [le, count] of h.buckets) out.push(`${name}_bucket${labels([...base, ['le', num(le)]])} ${count}`);
  out.push(`${name}_sum${labels(base)} ${num(h.sum)}`);
  out.push(`${name}_count${labels(base)} ${h.count}`);
}

/** A registry snapshot in the Prometheus text exposition format (ends with a newline). */
export function renderPrometheus(snapshot: MetricsSnapshot, options: PrometheusOptions = {}): string {
  const constPairs = Object.entries(options.constLabels ?? {});
  for (const [k] of constPairs) if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new RangeError(`invalid label name ${JSON.stringify(k)}`);
  const out: string[] = [];
  for (const m of snapshot.metrics) {
    const name = prometheusName(m.def);
    out.push(`# HELP ${name} ${escapeHelp(m.def.help)} (${m.def.unit})`);
    out.push(`# TYPE ${name} ${m.def.kind}`);
    if (m.histogram !== undefined) {
      histogramLines(name, m.histogram, constPairs, out);
      continue;
    }
    for (const s of m.samples) {
      const pairs = s.label === undefined || m.def.label === undefined ? constPairs : [...constPairs, [m.def.label, s.label] as const];
      out.push(`${name}${labels(pairs)} ${num(s.value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
