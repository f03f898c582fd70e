import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { CLIENT_METRICS, prometheusName } from '../../src/observability/metric-catalog.js';
import { renderPrometheus } from '../../src/observability/prometheus.js';
import { MetricsRegistry } from '../../src/observability/registry.js';

function fullRegistry(): MetricsRegistry {
  const r = new MetricsRegistry();
  for (const def of Object.values(CLIENT_METRICS)) {
    if (def.kind === 'histogram') r.histogram(def).observe(0.03);
    else if (def.label !== undefined) r.labeled(def).inc('x');
    else r.counter(def).inc(2);
  }
  return r;
}

// The text exposition format 0.0.4, line by line: comments, then samples
// `name{label="value",...} value`, where a label value escapes \\, \" and \n.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{${LABEL}(?:,${LABEL})*\\})? ${VALUE}$`);
const HELP = new RegExp(`^# HELP (${NAME}) (?:[^\\\\\\n]|\\\\[\\\\n])*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

describe('renderPrometheus', () => {
  it('writes every client metric in the text exposition grammar, TYPE before samples', () => {
    const text = renderPrometheus(fullRegistry().snapshot());
    expect(text.endsWith('\n')).toBe(true);
    const typed = new Map<string, string>();
    for (const line of text.slice(0, -1).split('\n')) {
      const t = TYPE.exec(line);
      if (t) {
        expect(typed.has(t[1]!)).toBe(false);
        typed.set(t[1]!, t[2]!);
        continue;
      }
      if (HELP.test(line)) continue;
      const s = SAMPLE.exec(line);
      expect(s, line).not.toBeNull();
      const family = s![1]!.replace(/_(bucket|sum|count)$/, '');
      expect(typed.has(s![1]!) || typed.get(family) === 'histogram', line).toBe(true);
    }
    expect(typed.size).toBe(Object.keys(CLIENT_METRICS).length);
  });

  it('parses with a real Prometheus text parser into the same values', () => {
    const r = fullRegistry();
    r.labeled({ name: 'test.escapes', kind: 'counter', unit: '{x}', help: 'back\\slash and\nnewline', label: 'code' }).inc('q"uo\\te\nnl', 3);
    const parsed = parsePrometheusTextFormat(renderPrometheus(r.snapshot(), { constLabels: { client: 'desk"top' } }));
    const by = Object.fromEntries(parsed.map((m) => [m.name, m]));
    const applied = by[prometheusName(CLIENT_METRICS.updatesApplied)]!;
    expect(applied.type).toBe('COUNTER');
    expect(applied.metrics[0]).toMatchObject({ value: '2', labels: { client: 'desk"top' } });
    const rejected = by['khala_sync_frames_rejected_total']!;
    expect(rejected.metrics[0]!.labels).toEqual({ client: 'desk"top', code: 'x' });
    // This parser drops _sum/_count of labelled histograms, so the histogram is checked unlabelled.
    const plain = Object.fromEntries(parsePrometheusTextFormat(renderPrometheus(r.snapshot())).map((m) => [m.name, m]));
    const commit = plain['khala_sync_store_commit_duration_seconds']!;
    expect(commit.type).toBe('HISTOGRAM');
    expect(commit.metrics[0]!.count).toBe('1');
    expect(Number(commit.metrics[0]!.sum)).toBeCloseTo(0.03);
    expect(commit.metrics[0]!.buckets!['0.025']).toBe('0');
    expect(commit.metrics[0]!.buckets!['0.05']).toBe('1');
    expect(commit.metrics[0]!.buckets!['+Inf']).toBe('1');
    const esc = by['test_escapes_total']!;
    expect(esc.help).toBe('back\\slash and\nnewline ({x})');
    expect(esc.metrics[0]!.labels!['code']).toBe('q"uo\\te\nnl');
  });

  it('refuses an invalid constant label name', () => {
    expect(() => renderPrometheus(new MetricsRegistry().snapshot(), { constLabels: { 'a-b': 'x' } })).toThrow(RangeError);
  });
});
