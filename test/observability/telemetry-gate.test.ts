import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { actorScopeHash, defaultTopicClass, TelemetryGate } from '../../src/observability/telemetry-gate.js';

describe('TelemetryGate', () => {
  it('keeps exactly the sampled share, spread evenly', () => {
    const g = new TelemetryGate({ sampleRate: 0.25, maxEventsPerMinute: 1e9 });
    const kept = Array.from({ length: 100 }, () => g.admit(0));
    expect(kept.filter(Boolean)).toHaveLength(25);
    expect(kept.slice(0, 8)).toEqual([false, false, false, true, false, false, false, true]);
    expect(g.sampledOut).toBe(75);
  });
  it('rate limits with a bucket that refills over the minute', () => {
    const g = new TelemetryGate({ maxEventsPerMinute: 6 });
    const burst = Array.from({ length: 10 }, () => g.admit(1000));
    expect(burst.filter(Boolean)).toHaveLength(6);
    expect(g.rateLimited).toBe(4);
    expect(g.admit(1000 + 9_000)).toBe(false); // 0.9 tokens refilled
    expect(g.admit(1000 + 10_000)).toBe(true);
    expect(g.admit(1000 + 10_000)).toBe(false);
  });
  it('sampleRate 0 delivers nothing; bad options throw', () => {
    const g = new TelemetryGate({ sampleRate: 0 });
    expect(Array.from({ length: 10 }, () => g.admit()).some(Boolean)).toBe(false);
    expect(() => new TelemetryGate({ sampleRate: 2 })).toThrow(RangeError);
    expect(() => new TelemetryGate({ maxEventsPerMinute: -1 })).toThrow(RangeError);
  });
});

describe('actorScopeHash', () => {
  it('hashes a raw scope one way with SHA-256 and keeps an existing sha256: hash', () => {
    const want = `sha256:${createHash('sha256').update('user_42@example.com').digest('hex')}`;
    expect(actorScopeHash('user_42@example.com')).toBe(want);
    expect(actorScopeHash(want)).toBe(want);
    expect(actorScopeHash('sha256:ab')).toMatch(/^sha256:[0-9a-f]{64}$/); // not a real hash: hashed again
    expect(actorScopeHash('sha256:ab')).not.toBe('sha256:ab');
  });
});

describe('defaultTopicClass', () => {
  it('keeps the first and last segments (the fixture topics)', () => {
    expect(defaultTopicClass('run:019c7f31:events')).toBe('run_events');
    expect(defaultTopicClass('worker:desktopw:shared:lifecycle')).toBe('worker_lifecycle');
    expect(defaultTopicClass('runtime.run_summaries')).toBe('runtime_run_summaries');
    expect(defaultTopicClass('solo')).toBe('solo');
  });
});
