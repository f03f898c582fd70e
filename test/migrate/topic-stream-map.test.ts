import { describe, expect, it } from 'vitest';
import { isStoreError } from '../../src/errors/index.js';
import { mapCursorKeys, streamToTopic, topicToStream } from '../../src/migrate/topic-stream-map.js';

describe('topic → stream id (KHALA_PROTOCOL §5.6)', () => {
  it.each([
    ['run:42:events', 'runtime.run.42.events', 'run_events'],
    ['worker:desktop:owner:lifecycle', 'runtime.worker.desktop:owner.lifecycle', 'worker_lifecycle'],
    ['fleet:user:u1:workers', 'runtime.fleet.user.u1.workers', 'fleet_user'],
    ['fleet:guest:g:1:workers', 'runtime.fleet.guest.g:1.workers', 'fleet_guest'],
    ['runtime.codex_worker_events', 'runtime.codex.worker.events', 'codex_worker_events'],
    ['runtime.run_summaries', 'runtime.topic.runtime.run_summaries', 'fallback'],
    ['org_123:worker_456', 'runtime.topic.org_123.worker_456', 'fallback'],
    // An empty id does not match its pattern; it falls through to the fallback.
    ['run::events', 'runtime.topic.run..events', 'fallback'],
  ])('%s → %s (%s)', (topic, stream, rule) => {
    expect(topicToStream(topic)).toStrictEqual({ stream, rule });
  });

  it('reverses the patterns and never returns an empty id or an unknown stream', () => {
    expect(streamToTopic('runtime.worker.desktop:owner.lifecycle')).toBe('worker:desktop:owner:lifecycle');
    expect(streamToTopic('runtime.run.42.events')).toBe('run:42:events');
    expect(streamToTopic('runtime.codex.worker.events')).toBe('runtime.codex_worker_events');
    expect(streamToTopic('runtime.run..events')).toBeUndefined();
    expect(streamToTopic('runtime.topic.')).toBeUndefined();
    expect(streamToTopic('something.else')).toBeUndefined();
  });

  it('the fallback does not round-trip a topic with dots: the recorded mapping says so', () => {
    expect(streamToTopic('runtime.topic.runtime.run_summaries')).toBe('runtime:run_summaries');
    const { cursors, mapping } = mapCursorKeys({ 'runtime.run_summaries': 17, 'run:7:events': 3 });
    expect(cursors).toStrictEqual({ 'runtime.topic.runtime.run_summaries': 17, 'runtime.run.7.events': 3 });
    expect(mapping).toStrictEqual([
      { from: 'run:7:events', to: 'runtime.run.7.events', rule: 'run_events', reverse: 'run:7:events' },
      { from: 'runtime.run_summaries', to: 'runtime.topic.runtime.run_summaries', rule: 'fallback', reverse: null },
    ]);
  });

  it('keeps the sequence unchanged and lets a user mapping win for opaque ids', () => {
    const { cursors, mapping } = mapCursorKeys({ 'org_123:worker_456': 9 }, { 'org_123:worker_456': 'runtime.codex.worker.events.org_123.worker_456' });
    expect(cursors).toStrictEqual({ 'runtime.codex.worker.events.org_123.worker_456': 9 });
    expect(mapping[0]?.rule).toBe('user');
  });

  it('refuses two topics landing on one stream (bad_mapping), and an empty user stream id', () => {
    // `a:b` and `a.b` both fall back to runtime.topic.a.b.
    const collide = () => mapCursorKeys({ 'a:b': 1, 'a.b': 2 });
    expect(collide).toThrow(/both map to stream/);
    try {
      collide();
    } catch (err) {
      expect(isStoreError(err) && err.code).toBe('bad_mapping');
    }
    expect(() => mapCursorKeys({ t: 1 }, { t: '' })).toThrow(/empty stream id/);
  });
});
