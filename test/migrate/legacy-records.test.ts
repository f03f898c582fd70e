import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isStoreError } from '../../src/errors/index.js';
import { decodeDesktopCheckpoints, desktopCursors } from '../../src/migrate/desktop-checkpoints.js';
import { decodeWebSyncState } from '../../src/migrate/web-sync-state.js';
import type { JsonValue } from '../../src/util/json.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/migrate/${name}`, import.meta.url), 'utf8')) as JsonValue;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isStoreError(err) ? err.code : `untyped: ${String(err)}`;
  }
  return undefined;
}

describe('desktop checkpoint file (§7.3)', () => {
  it('decodes entries keyed by (worker_id, stream_id) into stream cursors', () => {
    const entries = decodeDesktopCheckpoints(fixture('desktop-checkpoints.v1.json'));
    expect(entries).toHaveLength(3);
    expect(desktopCursors(entries)).toStrictEqual({
      'runtime.codex.worker.events.desktopw.desktop.shared': 42,
      'runtime.run.run_7': 7,
      'runtime.codex.worker.worker_1': 0,
    });
  });

  it('refuses a stream held by two workers unless one is chosen', () => {
    const entries = decodeDesktopCheckpoints(fixture('desktop-checkpoints.two-workers.json'));
    expect(codeOf(() => desktopCursors(entries))).toBe('ambiguous_checkpoints');
    expect(desktopCursors(entries, 'desktopw:b')).toStrictEqual({ 'runtime.run.run_7': 9, 'runtime.worker.desktopw:b.lifecycle': 3 });
    expect(codeOf(() => desktopCursors(entries, 'nobody'))).toBe('ambiguous_checkpoints');
  });

  it.each([
    ['desktop-checkpoints.duplicate-id.json', 'invalid_legacy_record'],
    ['desktop-checkpoints.empty-id.json', 'invalid_legacy_record'],
    ['desktop-checkpoints.v2.json', 'store_version_too_new'],
  ])('%s → %s', (name, code) => {
    expect(codeOf(() => decodeDesktopCheckpoints(fixture(name)))).toBe(code);
  });

  it.each<[string, JsonValue, string]>([
    ['version 0', { version: 0, entries: [] }, 'unsupported_legacy_schema'],
    ['version as a string', { version: '1', entries: [] }, 'unsupported_legacy_schema'],
    ['entries not an array', { version: 1, entries: {} }, 'invalid_legacy_record'],
    ['negative watermark', { version: 1, entries: [{ worker_id: 'w', stream_id: 's', watermark: -1, updated_at: 'x' }] }, 'invalid_legacy_record'],
    ['fractional watermark', { version: 1, entries: [{ worker_id: 'w', stream_id: 's', watermark: 1.5, updated_at: 'x' }] }, 'invalid_legacy_record'],
    ['blank worker id', { version: 1, entries: [{ worker_id: '  ', stream_id: 's', watermark: 1, updated_at: 'x' }] }, 'invalid_legacy_record'],
    ['no updated_at', { version: 1, entries: [{ worker_id: 'w', stream_id: 's', watermark: 1 }] }, 'invalid_legacy_record'],
  ])('%s → %s', (_name, value, code) => {
    expect(codeOf(() => decodeDesktopCheckpoints(value))).toBe(code);
  });
});

describe('web-shell PersistedSyncState (§7.1)', () => {
  it('decodes schema 1 and the unversioned legacy v0 record', () => {
    expect(decodeWebSyncState(fixture('web-sync-state.v1.json'))).toStrictEqual({
      schemaVersion: 1,
      topicWatermarks: { 'runtime.codex_worker_summaries': 5, 'runtime.run_summaries': 17, 'worker:desktopw:desktop:shared:lifecycle': 3 },
      subscribedTopics: ['runtime.codex_worker_summaries', 'runtime.notifications', 'runtime.run_summaries'],
      updatedAtUnixMs: 1767225600000,
    });
    expect(decodeWebSyncState(fixture('web-sync-state.v0.json'))).toMatchObject({ schemaVersion: 0, updatedAtUnixMs: 0, topicWatermarks: { 'runtime.run_summaries': 12 } });
    expect(decodeWebSyncState({ schemaVersion: 1, topic_watermarks: {}, updated_at_unix_ms: 1 }).schemaVersion).toBe(1);
  });

  it('refuses a downgrade schema_version: never reinterpreted', () => {
    expect(codeOf(() => decodeWebSyncState(fixture('web-sync-state.downgrade.json')))).toBe('unsupported_legacy_schema');
    expect(codeOf(() => decodeWebSyncState({ schema_version: 0, topic_watermarks: {} }))).toBe('unsupported_legacy_schema');
  });

  it.each<[string, JsonValue]>([
    ['negative watermark', fixture('web-sync-state.bad-watermark.json')],
    ['topics that collide after trimming', { schema_version: 1, topic_watermarks: { a: 1, ' a': 2 }, updated_at_unix_ms: 0 }],
    ['an empty topic', { schema_version: 1, topic_watermarks: { ' ': 1 }, updated_at_unix_ms: 0 }],
    ['watermarks not an object', { schema_version: 1, topic_watermarks: [], updated_at_unix_ms: 0 }],
    ['no timestamp in schema 1', { schema_version: 1, topic_watermarks: {} }],
    ['a non-string subscribed topic', { schema_version: 1, topic_watermarks: {}, subscribed_topics: [3], updated_at_unix_ms: 0 }],
  ])('refuses %s (invalid_legacy_record)', (_name, value) => {
    expect(codeOf(() => decodeWebSyncState(value))).toBe('invalid_legacy_record');
  });
});
