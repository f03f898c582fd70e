import { describe, expect, it } from 'vitest';
import { classifyDisconnect } from '../../src/observability/disconnect-class.js';
import { healthLine, replayProgressPct, topicHealth } from '../../src/observability/health.js';

describe('replayProgressPct (KHALA_PROTOCOL §7.3)', () => {
  it('is min(cursor, target)·100/target, and 100 for a zero target', () => {
    expect(replayProgressPct(0, 0)).toBe(100);
    expect(replayProgressPct(5, 0)).toBe(100);
    expect(replayProgressPct(0, 40)).toBe(0);
    expect(replayProgressPct(10, 40)).toBe(25);
    expect(replayProgressPct(50, 40)).toBe(100);
    expect(replayProgressPct(1, 3)).toBe(33.3);
    expect(replayProgressPct(9999, 10000)).toBe(99.9); // never rounded up to 100
  });
});

describe('topicHealth', () => {
  const facts = { topic: 't', phase: 'subscribing', lastApplied: 30 as number | undefined, caughtUp: false, headSeen: undefined as number | undefined };
  it('lag is head − watermark, with the larger of the learned and driver heads', () => {
    expect(topicHealth({ ...facts, headSeen: 80 }, 100, 5)).toMatchObject({ watermark: 30, serverHead: 100, lag: 70, replayProgressPct: 30, caughtUp: false, lastAppliedAt: 5 });
    expect(topicHealth({ ...facts, headSeen: 120 }, 100, undefined)).toMatchObject({ serverHead: 120, lag: 90, lastAppliedAt: null });
  });
  it('an unknown head leaves lag and progress unknown; caught up makes the watermark a head', () => {
    expect(topicHealth(facts, undefined, undefined)).toMatchObject({ serverHead: null, lag: null, replayProgressPct: null });
    expect(topicHealth({ ...facts, caughtUp: true, phase: 'live' }, undefined, undefined)).toMatchObject({ serverHead: 30, lag: 0, replayProgressPct: 100 });
    expect(topicHealth({ ...facts, lastApplied: undefined }, 10, undefined)).toMatchObject({ watermark: null, lag: 10, replayProgressPct: 0 });
  });
  it('renders one line', () => {
    const line = healthLine({
      at: 0,
      connection: { lane: 'khala.ws.v1', state: 'backoff', connectAttempts: 3, reconnectAttempts: 2, nextRetryMs: 500, lastDisconnectReason: 'network', lastError: { code: 'connect_failed', message: 'x', at: 0 }, tokenRefreshDueInMs: 61_000 },
      topics: [topicHealth({ ...facts, headSeen: 40 }, undefined, undefined)],
    });
    expect(line).toBe('backoff connects=3 reconnects=2 retry_in=500ms last_disconnect=network last_error=connect_failed token_refresh_in=61s | t subscribing wm=30 head=40 lag=10 75%');
    expect(line).not.toContain('\n');
    const soon = healthLine({ at: 0, connection: { lane: 'spacetime', state: 'live', connectAttempts: 1, reconnectAttempts: 0, nextRetryMs: null, lastDisconnectReason: null, lastError: null, tokenRefreshDueInMs: 450.4 }, topics: [] });
    expect(soon).toBe('live connects=1 reconnects=0 token_refresh_in=450ms');
  });
});

describe('classifyDisconnect', () => {
  it.each([
    ['token refresh due', 'token_refresh_due'],
    ['stale_cursor', 'stale_cursor'],
    ['HTTP 401', 'unauthorized'],
    ['status=401', 'unauthorized'],
    ['upgrade_refused', 'unauthorized'],
    ['forbidden_topic', 'forbidden'],
    ['got 403', 'forbidden'],
    ['slow_consumer', 'slow_consumer'],
    ['join_failed:unsupported_protocol_version', 'upgrade_required'],
    ['socket closed (1000)', 'stream_closed'],
    ['phx_close', 'stream_closed'],
    ['socket closed (1006)', 'network'],
    ['heartbeat_timeout', 'network'],
    ['join_timeout', 'network'],
    ['Connection reset by peer', 'network'],
    ['connect_failed', 'network'],
    ['store_failed', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ])('%s → %s', (reason, cls) => {
    expect(classifyDisconnect(reason)).toBe(cls);
  });
  it('follows the §7.3 order when two classes match', () => {
    expect(classifyDisconnect('stale_cursor after token refresh due')).toBe('token_refresh_due');
    expect(classifyDisconnect('unauthorized: connection closed')).toBe('unauthorized');
  });
});
