import { bytesToHex } from '../hash/encoding.js';
import { sha256Utf8 } from '../hash/sha256.js';

/** How telemetry events reach the app: sampled, then rate limited. */
export interface TelemetryGateOptions {
  /** Share of events kept, 0–1. Default 1 (all). */
  sampleRate?: number;
  /** Most events delivered per minute; the rest are dropped and counted. Default 60. */
  maxEventsPerMinute?: number;
}

/** Defaults of {@link TelemetryGateOptions}. */
export const TELEMETRY_GATE_DEFAULTS = Object.freeze({ sampleRate: 1, maxEventsPerMinute: 60 });

/**
 * Decides which telemetry events are delivered. Sampling is deterministic (every 1/rate-th event,
 * spread evenly) so a test, or a fleet dashboard, sees exactly the configured share; the rate limit
 * is a token bucket refilled continuously, so a reconnect storm cannot flood the app's pipeline.
 */
export class TelemetryGate {
  private readonly rate: number;
  private readonly perMinute: number;
  private seen = 0;
  private tokens: number;
  private refilledAt: number | undefined;
  /** Events dropped by sampling. */
  sampledOut = 0;
  /** Events dropped by the rate limit. */
  rateLimited = 0;

  constructor(options: TelemetryGateOptions = {}) {
    const rate = options.sampleRate ?? TELEMETRY_GATE_DEFAULTS.sampleRate;
    const perMinute = options.maxEventsPerMinute ?? TELEMETRY_GATE_DEFAULTS.maxEventsPerMinute;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('telemetry sampleRate must be between 0 and 1');
    if (!(perMinute >= 0)) throw new RangeError('telemetry maxEventsPerMinute must be >= 0');
    this.rate = rate;
    this.perMinute = perMinute;
    this.tokens = perMinute;
  }

  /** True when the next event should be delivered. */
  admit(now = Date.now()): boolean {
    const n = this.seen++;
    if (Math.floor((n + 1) * this.rate) === Math.floor(n * this.rate)) {
      this.sampledOut++;
      return false;
    }
    if (this.refilledAt !== undefined) this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.refilledAt) * this.perMinute) / 60_000);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.rateLimited++;
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}

const HASHED = /^sha256:[0-9a-f]{64}$/;

/**
 * The `actor_scope_hash` of an actor scope: `sha256:<hex>` of its UTF-8 bytes. A value that is
 * already in that form is kept; anything else (a raw user, org or device id) is hashed, so a raw id
 * can never reach an event.
 */
export function actorScopeHash(scope: string): string {
  return HASHED.test(scope) ? scope : `sha256:${bytesToHex(sha256Utf8(scope))}`;
}

/**
 * `topic_class` of a topic when the app gives no mapping: the first and last segments of the topic
 * split on `:` or `.` (`run:019c7f31:events` → `run_events`, `runtime.run_summaries` →
 * `runtime_run_summaries`), which leaves out the id segments in between.
 */
export function defaultTopicClass(topic: string): string {
  const parts = topic.split(/[:.]/).filter((p) => p !== '');
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts[0]}_${parts[parts.length - 1]}`;
}
