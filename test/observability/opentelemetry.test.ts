import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_METRICS, DEFAULT_SECONDS_BUCKETS } from '../../src/observability/metric-catalog.js';
import { bindOpenTelemetry } from '../../src/observability/opentelemetry.js';
import { MetricsRegistry } from '../../src/observability/registry.js';

function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Map<string, MetricData>> => {
    await reader.forceFlush();
    const out = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.descriptor.name, m);
    exporter.reset();
    return out;
  };
  return { provider, collect };
}

describe('bindOpenTelemetry', () => {
  afterEach(() => metrics.disable());

  it('exports counters, labelled counters, gauges and histograms to the SDK in-memory exporter', async () => {
    const { provider, collect } = sdk();
    const r = new MetricsRegistry();
    const applied = r.counter(CLIENT_METRICS.updatesApplied);
    const rejected = r.labeled(CLIENT_METRICS.framesRejected);
    let depth = 4;
    r.collect(CLIENT_METRICS.inboundQueueDepth, () => depth);
    const commit = r.histogram(CLIENT_METRICS.storeCommitDuration);
    const binding = await bindOpenTelemetry(r, { meter: provider.getMeter('test'), attributes: { client: 'a' } });
    expect(binding.active).toBe(true);
    applied.inc(3);
    rejected.inc('payload_conflict', 2);
    commit.observe(0.004);
    commit.observe(0.3);
    depth = 9;
    const got = await collect();
    const sum = got.get('khala_sync.updates.applied')!;
    expect(sum.dataPointType).toBe(DataPointType.SUM);
    expect(sum.descriptor.unit).toBe('{update}');
    expect(sum.dataPoints[0]!.value).toBe(3);
    expect(sum.dataPoints[0]!.attributes).toEqual({ client: 'a' });
    expect(got.get('khala_sync.frames.rejected')!.dataPoints[0]!.attributes).toEqual({ client: 'a', code: 'payload_conflict' });
    expect(got.get('khala_sync.inbound.queue.depth')!.dataPoints[0]!.value).toBe(9);
    const hist = got.get('khala_sync.store.commit.duration')!;
    expect(hist.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(hist.descriptor.unit).toBe('s');
    const hv = hist.dataPoints[0]!.value as { count: number; sum: number; buckets: { boundaries: number[] } };
    expect(hv.count).toBe(2);
    expect(hv.sum).toBeCloseTo(0.304);
    expect(hv.buckets.boundaries).toEqual([...DEFAULT_SECONDS_BUCKETS]);

    binding.close();
    applied.inc(10);
    commit.observe(1);
    const after = await collect();
    expect(after.get('khala_sync.updates.applied')?.dataPoints[0]?.value ?? 3).toBe(3);
    expect((after.get('khala_sync.store.commit.duration')!.dataPoints[0]!.value as { count: number }).count).toBe(2);
    await provider.shutdown();
  });

  it('uses the global meter of @opentelemetry/api when no meter is given', async () => {
    const { provider, collect } = sdk();
    metrics.setGlobalMeterProvider(provider);
    const r = new MetricsRegistry();
    r.counter(CLIENT_METRICS.gapsSeen).inc(5);
    const binding = await bindOpenTelemetry(r);
    expect(binding.active).toBe(true);
    expect((await collect()).get('khala_sync.gaps.seen')!.dataPoints[0]!.value).toBe(5);
    binding.close();
    await provider.shutdown();
  });

  it('is an inactive no-op where @opentelemetry/api cannot be imported', async () => {
    // The bridge bundled into a directory with no node_modules above it: the optional import fails.
    const dir = mkdtempSync(join(tmpdir(), 'khala-otel-'));
    try {
      const out = join(dir, 'bridge.mjs');
      await build({ entryPoints: ['src/observability/opentelemetry.ts'], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'silent' });
      const mod = (await import(pathToFileURL(out).href)) as { bindOpenTelemetry: typeof bindOpenTelemetry };
      const r = new MetricsRegistry();
      const h = r.histogram(CLIENT_METRICS.bootstrapDuration);
      const binding = await mod.bindOpenTelemetry(r);
      expect(binding.active).toBe(false);
      expect(h.listener).toBeUndefined();
      binding.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
