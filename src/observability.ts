/**
 * `khala-sync/observability`: the client metrics and telemetry plug-ins (`clientMetrics()`,
 * `clientTelemetry()`), the metrics registry, the Prometheus text exporter, the optional
 * OpenTelemetry bridge, and the health helpers. Browser-safe and dependency-free (OpenTelemetry is an optional peer). A client given
 * `metrics: clientMetrics()` exposes its registry and health as `client.metrics`; see docs/observability.md.
 *
 * @packageDocumentation
 */
export { clientTelemetry } from './observability/client-telemetry.js';
export type { AttachedTelemetry, ClientTelemetryEvent, ClientSurface, TelemetryEvents, TelemetryHost, TelemetryOptions, TelemetryPlugin } from './client/telemetry.js';
export { clientMetrics, type AttachedMetrics, type CoreCounters, type MetricsHost, type MetricsPlugin } from './observability/client-metrics.js';
export { ClientMetricsRegistry } from './observability/client-registry.js';
export { MetricsRegistry, Counter, LabeledCounter, MAX_LABEL_CHARS, MAX_LABEL_VALUES, type MetricSnapshot, type MetricsSnapshot, type Reading, type Sample } from './observability/registry.js';
export { Histogram, type HistogramValue } from './observability/histogram.js';
export { CLIENT_METRICS, DEFAULT_SECONDS_BUCKETS, prometheusName, type ClientMetricKey, type MetricDef, type MetricKind } from './observability/metric-catalog.js';
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE, type PrometheusOptions } from './observability/prometheus.js';
export {
  bindOpenTelemetry,
  type OpenTelemetryBinding,
  type OpenTelemetryOptions,
  type OtelMeter,
  type OtelHistogram,
  type OtelObservable,
  type OtelObservableResult,
  type OtelInstrumentOptions,
  type OtelAttributes,
} from './observability/opentelemetry.js';
export { healthLine, replayProgressPct, type ClientHealth, type ConnectionHealth, type TopicHealth } from './observability/health.js';
export { classifyDisconnect, type DisconnectClass } from './observability/disconnect-class.js';
export { actorScopeHash, defaultTopicClass, TelemetryGate, TELEMETRY_GATE_DEFAULTS, type TelemetryGateOptions } from './observability/telemetry-gate.js';
