import type { SyncClient } from '../client/sync-client.js';
import type { KpiTimeline } from './kpi-chart.js';

const SAMPLE_MS = 250;

/**
 * Samples every harness client while a run lasts, for the stage report's KPI chart: reconnects
 * (each entry into backoff), each caught-up's replay latency, and the largest lag from
 * `client.metrics.health()` (a probe made while a recorder is in force gets the `clientMetrics()`
 * plug-in for it). Probes register themselves with the recorder in force ({@link currentTimeline});
 * the runner starts and stops it, and runs scenarios one at a time, so one recorder at a time is enough.
 */
export class KpiTimelineRecorder {
  private readonly clients = new Set<SyncClient>();
  private readonly started = Date.now();
  private reconnects = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly timeline: KpiTimeline = { samples: [], replays: [], scenarios: [] };

  start(): this {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref?.();
    return this;
  }

  stop(): KpiTimeline {
    clearInterval(this.timer);
    this.sample();
    return this.timeline;
  }

  /** Mark the start of a scenario on the time axis. */
  scenario(name: string): void {
    this.timeline.scenarios.push({ t: this.now(), name });
  }

  /** Follow a client until it closes. */
  track(client: SyncClient): void {
    this.clients.add(client);
    client.on('status', (status) => {
      if (status === 'backoff') this.reconnects++;
      else if (status === 'closed') this.clients.delete(client);
    });
    client.on('caught_up', ({ topic }) => {
      const ms = client.getMetrics().timeToCaughtUpMs[topic];
      if (ms !== undefined) this.timeline.replays.push({ t: this.now(), ms });
    });
  }

  private sample(): void {
    let maxLag = 0;
    for (const c of this.clients) for (const t of c.metrics?.health().topics ?? []) if (t.lag !== null && t.lag > maxLag) maxLag = t.lag;
    this.timeline.samples.push({ t: this.now(), reconnects: this.reconnects, maxLag });
  }

  private now(): number {
    return (Date.now() - this.started) / 1000;
  }
}

let current: KpiTimelineRecorder | undefined;

/** The recorder of the run in progress, if any. */
export function currentTimeline(): KpiTimelineRecorder | undefined {
  return current;
}

/** Install (or clear) the run's recorder. */
export function setCurrentTimeline(recorder: KpiTimelineRecorder | undefined): void {
  current = recorder;
}
