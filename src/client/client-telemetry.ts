import type { Emitter } from '../util/emitter.js';
import { ownValue } from '../util/records.js';
import type { ReplayDriver } from './replay-driver.js';
import type { SyncClientEvents } from './sync-client.js';
import type { TelemetryRecorder } from './telemetry.js';

// Which client happenings become ClientTelemetryEvents (reconnect, replay, delivery_error), and with
// what figures; auth failures are recorded where the connection reports them.

/** Record `replay` on caught-up and stale, `delivery_error` on store, snapshot and protocol errors. */
export function recordClientTelemetry(client: Emitter<SyncClientEvents>, telemetry: TelemetryRecorder, driver: ReplayDriver): void {
  client.on('caught_up', ({ topic, watermark }) =>
    telemetry.record(topic, {
      replay: { status: 'live', requested_after_seq: driver.requestedAfter(topic), oldest_available_seq: 0, head_seq: watermark ?? 0, catchup_duration_ms: ownValue(driver.metrics.timeToCaughtUpMs, topic) ?? 0 },
    }),
  );
  client.on('stale', (s) =>
    telemetry.record(s.topic, {
      replay: { status: 'stale_cursor', requested_after_seq: s.resumeAfter ?? 0, oldest_available_seq: s.retentionFloor === undefined ? 0 : s.retentionFloor + 1, head_seq: s.headWatermark ?? 0, catchup_duration_ms: 0 },
    }),
  );
  client.on('error', (e) => {
    const channel = e.source === 'store' ? 'projection_apply' : e.source === 'snapshot' ? 'replay' : e.source === 'protocol' ? 'ws' : undefined;
    if (channel !== undefined) telemetry.record(e.topic ?? '', { delivery_error: { channel, reason_code: e.code, rolling_error_count_5m: telemetry.deliveryError() } });
  });
}

/** Record one scheduled reconnect, against the first subscribed topic. */
export function recordReconnect(telemetry: TelemetryRecorder, driver: ReplayDriver, { attempt, delayMs, reason }: { attempt: number; delayMs: number; reason: string }): void {
  const topics = [...driver.topics()];
  const topic = topics[0]?.topic ?? '';
  const resumed = topics.some((t) => t.lastApplied !== undefined);
  const reasonCode = reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  telemetry.record(topic, { reconnect: { attempt, backoff_ms: delayMs, resumed, last_applied_seq: driver.lastApplied(topic) ?? 0, reason_code: reasonCode } });
}
