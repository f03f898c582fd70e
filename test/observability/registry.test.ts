import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/observability/histogram.js';
import { CLIENT_METRICS, prometheusName } from '../../src/observability/metric-catalog.js';
import { MAX_LABEL_CHARS, MAX_LABEL_VALUES, MetricsRegistry } from '../../src/observability/registry.js';

describe('MetricsRegistry', () => {
  it('snapshots owned counters, labelled counters, pulled readings and histograms', () => {
    const r = new MetricsRegistry();
    const applied = r.counter(CLIENT_METRICS.updatesApplied);
    const rejected = r.labeled(CLIENT_METRICS.framesRejected);
    let depth = 3;
    r.collect(CLIENT_METRICS.inboundQueueDepth, () => depth);
    const commit = r.histogram(CLIENT_METRICS.storeCommitDuration);
    applied.inc(5);
    rejected.inc('bad_frame');
    rejected.inc('store_corrupt', 2); // a code nobody listed in advance
    commit.observe(0.002);
    commit.observe(0.2);
    depth = 7;
    const snap = r.snapshot(1234);
    expect(snap.at).toBe(1234);
    const by = Object.fromEntries(snap.metrics.map((m) => [m.def.name, m]));
    expect(by['khala_sync.updates.applied']!.samples).toEqual([{ label: undefined, value: 5 }]);
    expect(by['khala_sync.frames.rejected']!.samples).toEqual([
      { label: 'bad_frame', value: 1 },
      { label: 'store_corrupt', value: 2 },
    ]);
    expect(by['khala_sync.inbound.queue.depth']!.samples[0]!.value).toBe(7);
    const h = by['khala_sync.store.commit.duration']!.histogram!;
    expect(h.count).toBe(2);
    expect(h.sum).toBeCloseTo(0.202);
    expect(h.buckets.find(([le]) => le === 0.005)![1]).toBe(1);
    expect(h.buckets.at(-1)).toEqual([Infinity, 2]);
  });

  it('refuses a second metric with the same name', () => {
    const r = new MetricsRegistry();
    r.counter(CLIENT_METRICS.gapsSeen);
    expect(() => r.counter(CLIENT_METRICS.gapsSeen)).toThrow(RangeError);
  });

  it('caps the distinct values of one label; later ones count as other', () => {
    const r = new MetricsRegistry();
    const c = r.labeled(CLIENT_METRICS.framesRejected);
    for (let i = 0; i < MAX_LABEL_VALUES + 10; i++) c.inc(`code_${i}`);
    c.inc('code_0');
    const samples = r.read(CLIENT_METRICS.framesRejected.name)!.samples;
    expect(samples).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(samples.find((s) => s.label === 'other')!.value).toBe(10);
    expect(samples.find((s) => s.label === 'code_0')!.value).toBe(2);
  });

  it('a label value longer than MAX_LABEL_CHARS counts as other (a 1 MB stale reason is not kept as a label)', () => {
    const r = new MetricsRegistry();
    const c = r.labeled(CLIENT_METRICS.staleRecoveries);
    c.inc('x'.repeat(1024 * 1024));
    c.inc('r'.repeat(MAX_LABEL_CHARS));
    expect(r.read(CLIENT_METRICS.staleRecoveries.name)!.samples).toEqual([
      { label: 'other', value: 1 },
      { label: 'r'.repeat(MAX_LABEL_CHARS), value: 1 },
    ]);
  });

  it('ignores negative and non-finite histogram values', () => {
    const h = new Histogram([1]);
    h.observe(-1);
    h.observe(Number.NaN);
    h.observe(Infinity);
    h.observe(2);
    expect(h.value()).toEqual({ buckets: [[1, 0], [Infinity, 1]], sum: 2, count: 1 });
  });

  it('derives Prometheus names with unit suffix and _total, all distinct and valid', () => {
    expect(prometheusName(CLIENT_METRICS.updatesApplied)).toBe('khala_sync_updates_applied_total');
    expect(prometheusName(CLIENT_METRICS.storeCommitDuration)).toBe('khala_sync_store_commit_duration_seconds');
    expect(prometheusName(CLIENT_METRICS.inboundQueueBytes)).toBe('khala_sync_inbound_queue_size_bytes');
    const names = Object.values(CLIENT_METRICS).map(prometheusName);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });
});
