import { afterEach, describe, expect, it } from 'vitest';
import type { ClientTelemetryEvent } from '../../src/client/telemetry.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { readFixture } from '../fixtures.js';
import { publishRange, record, RUNS, server, until, type Recorded } from './harness.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

const fixture = readFixture<{ events: Array<Record<string, unknown>> }>('client-telemetry-v1.json').events;
const kind = (e: object) => ['reconnect', 'auth_failure', 'replay', 'delivery_error'].find((k) => k in e)!;
const keysOf = (o: unknown) => Object.keys(o as object).sort();

describe('telemetry events (KHALA_PROTOCOL §10, client-telemetry-v1.json)', () => {
  it('emits reconnect, auth_failure, replay and delivery_error in the fixture shape, with no tokens or bodies', async () => {
    srv = await server();
    publishRange(srv, RUNS, 12);
    const r = record(srv, { topics: [RUNS], telemetry: { surface: 'CLIENT_SURFACE_DESKTOP', appVersion: '1.2.3', sessionId: 'sess_1', actorScopeHash: 'sha256:ab' } });
    open.push(r);
    const events: ClientTelemetryEvent[] = [];
    r.client.on('telemetry', (e) => events.push(e));
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 12 && r.client.status === 'live');
    srv.faults.pushRaw('not json');
    srv.faults.refuseUpgrades(403);
    srv.faults.dropConnections();
    await until(() => events.some((e) => e.auth_failure?.refresh_attempted === true), 'two refused upgrades');
    srv.faults.refuseUpgrades(null);
    await until(() => r.client.status === 'live' && events.filter((e) => e.replay).length >= 2, 'live again');

    const byKind = new Map(events.map((e) => [kind(e), e]));
    expect([...byKind.keys()].sort()).toEqual(['auth_failure', 'delivery_error', 'reconnect', 'replay']);
    for (const f of fixture) {
      const mine = byKind.get(kind(f))!;
      const { actor_scope_hash: _a, session_id: _s, topic_class: _t, ...fixtureTop } = f;
      expect(keysOf(mine[kind(f) as keyof ClientTelemetryEvent])).toEqual(keysOf(f[kind(f)]));
      for (const key of Object.keys(fixtureTop)) expect(mine).toHaveProperty(key);
    }
    const replay = events.find((e) => e.replay)!;
    expect(replay).toMatchObject({ schema_version: 'openagents.sync.client_telemetry.v1', surface: 'CLIENT_SURFACE_DESKTOP', app_version: '1.2.3', topic: RUNS, session_id: 'sess_1', replay: { status: 'live', requested_after_seq: 0, head_seq: 12 } });
    expect(byKind.get('delivery_error')?.delivery_error).toMatchObject({ channel: 'ws', reason_code: 'malformed_frame', rolling_error_count_5m: 1 });
    expect(byKind.get('reconnect')?.reconnect).toMatchObject({ resumed: true, last_applied_seq: 12 });
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expect(JSON.stringify(events)).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  });

  it('a stale cursor is reported as replay.status stale_cursor with the floor and head', async () => {
    srv = await server();
    publishRange(srv, RUNS, 50);
    srv.prune(RUNS, 40);
    const store = createMemoryStore();
    await store.commit({ topic: RUNS, watermark: 5, documents: [] }); // a cursor below the floor
    const r = record(srv, { topics: [RUNS], snapshotUrl: srv.snapshotUrl, store });
    open.push(r);
    const events: ClientTelemetryEvent[] = [];
    r.client.on('telemetry', (e) => events.push(e));
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 50, 'bootstrap');
    const replays = events.filter((e) => e.replay).map((e) => e.replay);
    expect(replays[0]).toEqual({ status: 'stale_cursor', requested_after_seq: 5, oldest_available_seq: 41, head_seq: 50, catchup_duration_ms: 0 });
    expect(replays.at(-1)).toMatchObject({ status: 'live', requested_after_seq: 50, head_seq: 50 });
  });
});
