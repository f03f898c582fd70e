import { afterEach, describe, expect, it } from 'vitest';
import type { ClientTelemetryEvent, TelemetryOptions } from '../../src/client/telemetry.js';
import { clientTelemetry } from '../../src/observability/client-telemetry.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { readFixture } from '../fixtures.js';
import { record, RUNS, server, until, type Recorded } from '../client/harness.js';
import { httpSnapshotSource } from '../../src/http.js';

let srv: ReferenceServer | undefined;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
  srv = undefined;
});

type Kind = 'string' | 'number' | 'boolean';
const TOP: Record<string, Kind> = { schema_version: 'string', event_id: 'string', occurred_at_unix_ms: 'number', surface: 'string', client_build_id: 'string', app_version: 'string', protocol_version: 'string', topic: 'string', topic_class: 'string' };
const OPTIONAL_TOP: Record<string, Kind> = { actor_scope_hash: 'string', session_id: 'string' };
const DETAILS: Record<string, Record<string, Kind>> = {
  reconnect: { attempt: 'number', backoff_ms: 'number', resumed: 'boolean', last_applied_seq: 'number', reason_code: 'string' },
  auth_failure: { http_status: 'number', reason_code: 'string', refresh_attempted: 'boolean' },
  replay: { status: 'string', requested_after_seq: 'number', oldest_available_seq: 'number', head_seq: 'number', catchup_duration_ms: 'number' },
  delivery_error: { channel: 'string', reason_code: 'string', rolling_error_count_5m: 'number' },
};
const ENUMS: Record<string, readonly string[]> = {
  surface: ['CLIENT_SURFACE_UNSPECIFIED', 'CLIENT_SURFACE_WEB', 'CLIENT_SURFACE_DESKTOP', 'CLIENT_SURFACE_IOS', 'CLIENT_SURFACE_ONYX'],
  'replay.status': ['catchup', 'live', 'stale_cursor', 'failed'],
  'delivery_error.channel': ['ws', 'replay', 'projection_apply'],
};

/** KHALA_PROTOCOL §10 `ClientTelemetryEvent` as JSON: the problems found, empty when valid. */
function problems(e: Record<string, unknown>): string[] {
  const out: string[] = [];
  const typed = (path: string, v: unknown, kind: Kind): void => {
    if (typeof v !== kind || (kind === 'number' && !Number.isInteger(v))) out.push(`${path}: expected ${kind}`);
  };
  for (const [k, kind] of Object.entries(TOP)) typed(k, e[k], kind);
  for (const [k, kind] of Object.entries(OPTIONAL_TOP)) if (k in e) typed(k, e[k], kind);
  if (e['schema_version'] !== 'openagents.sync.client_telemetry.v1') out.push('schema_version');
  if (!ENUMS['surface']!.includes(e['surface'] as string)) out.push('surface enum');
  if ('actor_scope_hash' in e && !/^sha256:[0-9a-f]{64}$/.test(e['actor_scope_hash'] as string)) out.push('actor_scope_hash is not a sha256 hash');
  const details = Object.keys(DETAILS).filter((d) => d in e);
  if (details.length !== 1) out.push(`exactly one detail expected, got ${details.join(',') || 'none'}`);
  for (const d of details) {
    const body = e[d] as Record<string, unknown>;
    if (JSON.stringify(Object.keys(body).sort()) !== JSON.stringify(Object.keys(DETAILS[d]!).sort())) out.push(`${d}: keys ${Object.keys(body).join(',')}`);
    for (const [k, kind] of Object.entries(DETAILS[d]!)) typed(`${d}.${k}`, body[k], kind);
    for (const [path, allowed] of Object.entries(ENUMS)) if (path.startsWith(`${d}.`) && !allowed.includes(body[path.slice(d.length + 1)] as string)) out.push(`${path} enum`);
  }
  for (const k of Object.keys(e)) if (!(k in TOP) && !(k in OPTIONAL_TOP) && !(k in DETAILS)) out.push(`unexpected field ${k}`);
  return out;
}

const fixture = readFixture<{ events: Array<Record<string, unknown>> }>('client-telemetry-v1.json').events;

describe('client telemetry events against client-telemetry-v1.json', () => {
  it('the validator accepts every fixture event (it encodes the fixture’s shape)', () => {
    expect(fixture).toHaveLength(3);
    for (const e of fixture) expect(problems(e)).toEqual([]);
    expect(problems({ ...fixture[0], surface: 'IOS' })).toContain('surface enum');
    expect(problems({ ...fixture[0], email: 'x' })).toContain('unexpected field email');
  });

  it('every event a real run emits validates and carries no body, document key, raw actor id or token', async () => {
    srv = await server();
    const BODY = 'BODY-MARKER-3f9a';
    const DOC = 'doc-raw-id-77c1';
    const ACTOR = 'alice@example.com';
    for (let i = 0; i < 6; i++) srv.publish(RUNS, [{ docKey: `runtime/run_summary:${DOC}-${i}`, payload: { secret: BODY, i } }]);
    const events: ClientTelemetryEvent[] = [];
    const telemetry: TelemetryOptions = { surface: 'CLIENT_SURFACE_DESKTOP', appVersion: '2.0.0', sessionId: 'sess_9', actorScope: ACTOR, onEvent: (e) => events.push(e) };
    const r = record(srv, { topics: [RUNS], telemetry: clientTelemetry(telemetry) });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 6 && r.client.status === 'live', 'live');
    srv.faults.pushRaw('not json');
    srv.faults.refuseUpgrades(403);
    srv.faults.dropConnections();
    await until(() => events.some((e) => e.auth_failure?.refresh_attempted === true), 'two refused upgrades');
    srv.faults.refuseUpgrades(null);
    await until(() => r.client.status === 'live' && events.filter((e) => e.replay).length >= 2, 'live again');
    const kinds = new Set(events.map((e) => Object.keys(e).find((k) => k in DETAILS)));
    expect([...kinds].sort()).toEqual(['auth_failure', 'delivery_error', 'reconnect', 'replay']);
    for (const e of events) {
      expect(problems(e as unknown as Record<string, unknown>), JSON.stringify(e)).toEqual([]);
      expect(e.topic_class === '' || e.topic_class === 'runtime_run_summaries').toBe(true);
      const text = JSON.stringify(e);
      for (const banned of [BODY, DOC, ACTOR, 'alice']) expect(text).not.toContain(banned);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // no token (the server mints JWTs)
    }
    expect(events[0]!.actor_scope_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(events.find((e) => e.replay)).toMatchObject({ surface: 'CLIENT_SURFACE_DESKTOP', app_version: '2.0.0', topic: RUNS, session_id: 'sess_9', replay: { status: 'live', requested_after_seq: 0, head_seq: 6 } });
    expect(events.find((e) => e.delivery_error)?.delivery_error).toMatchObject({ channel: 'ws', reason_code: 'malformed_frame', rolling_error_count_5m: 1 });
    expect(events.find((e) => e.reconnect)?.reconnect).toMatchObject({ resumed: true, last_applied_seq: 6 });
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  });

  it('a stale cursor is reported as replay.status stale_cursor with the floor and head', async () => {
    srv = await server();
    for (let i = 0; i < 50; i++) srv.publish(RUNS, [{ docKey: `d${i % 10}`, payload: { i } }]);
    srv.prune(RUNS, 40);
    const store = createMemoryStore();
    await store.commit({ topic: RUNS, watermark: 5, documents: [] }); // a cursor below the floor
    const events: ClientTelemetryEvent[] = [];
    const r = record(srv, { topics: [RUNS], snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }), store, telemetry: clientTelemetry({ onEvent: (e) => events.push(e) }) });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 50, 'bootstrap');
    const replays = events.filter((e) => e.replay).map((e) => e.replay);
    expect(replays[0]).toEqual({ status: 'stale_cursor', requested_after_seq: 5, oldest_available_seq: 41, head_seq: 50, catchup_duration_ms: 0 });
    expect(replays.at(-1)).toMatchObject({ status: 'live', requested_after_seq: 50, head_seq: 50 });
    for (const e of events) expect(problems(e as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('sampling and the rate limit apply to the app callback and the telemetry event alike', async () => {
    srv = await server();
    srv.publish(RUNS, [{ docKey: 'a', payload: { v: 1 } }]);
    const none: ClientTelemetryEvent[] = [];
    const two: ClientTelemetryEvent[] = [];
    const twoEmitted: ClientTelemetryEvent[] = [];
    const silent = record(srv, { topics: [RUNS], telemetry: clientTelemetry({ sampleRate: 0, onEvent: (e) => none.push(e) }) });
    const limited = record(srv, { topics: [RUNS], telemetry: clientTelemetry({ maxEventsPerMinute: 2, onEvent: (e) => two.push(e) }) });
    limited.client.on('telemetry', (e) => twoEmitted.push(e));
    open.push(silent, limited);
    await Promise.all([silent.client.connect(), limited.client.connect()]);
    await until(() => silent.client.status === 'live' && limited.client.status === 'live', 'live');
    for (let i = 0; i < 3; i++) {
      srv.faults.pushRaw(`bad ${i}`);
      srv.faults.dropConnections();
      await until(() => silent.client.status === 'live' && limited.client.status === 'live' && limited.client.getMetrics().reconnects === i + 1, `round ${i}`);
    }
    expect(none).toEqual([]);
    expect(two).toHaveLength(2);
    expect(twoEmitted).toEqual(two);
  });
});
