import { afterEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { payloadHashBase64 } from '../../src/hash/index.js';
import { converged, publishRange, record, RUNS, server, until, type Recorded } from './harness.js';
import { httpHydrator, httpSnapshotSource } from '../../src/http.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('what a real network and server do', () => {
  it('upgrade_required at join stops reconnecting (no loop) and reports the code', async () => {
    srv = await server({ compatibility: { enforce: true, protocolVersion: 'khala.ws.v1', minClientBuildId: '20990101T000000Z', maxClientBuildId: null, minSchemaVersion: 1, maxSchemaVersion: 1 } });
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'upgrade_required', 'upgrade_required');
    const joins = srv.stats().joins;
    await sleep(300);
    expect(srv.stats().joins).toBe(joins);
    expect(r.errors.map((e) => e.code)).toContain('upgrade_required');
  });

  it('revoked session: reauth_required pushed mid-stream stops with auth_required', async () => {
    srv = await server();
    let sessionToken = '';
    const r = record(srv, {
      topics: [RUNS],
      token: async () => (sessionToken = await srv.mintToken({ sessionId: 'sess_revoke_me' })),
    });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live');
    srv.revokeSession('sess_revoke_me');
    await until(() => r.client.status === 'auth_required', 'auth_required');
    await sleep(200);
    expect(r.client.status).toBe('auth_required');
    expect(sessionToken.length).toBeGreaterThan(0);
  });

  it('mints a fresh token for every connection attempt and retries a 403 upgrade once', async () => {
    srv = await server();
    let mints = 0;
    const r = record(srv, { topics: [RUNS], token: async () => (mints++, srv.mintToken()) });
    open.push(r);
    srv.faults.refuseUpgrades(403);
    await r.client.connect();
    await until(() => r.errors.some((e) => e.code === 'auth_refused'), 'auth_refused');
    expect(mints).toBe(2);
    srv.faults.refuseUpgrades(null);
    await until(() => r.client.status === 'live', 'live after upgrades allowed');
    expect(mints).toBeGreaterThanOrEqual(3);
  });

  it('declares a silent (stalled) connection dead and reconnects', async () => {
    srv = await server();
    const r = record(srv, { topics: [RUNS], deadAfterMs: 300, heartbeatIntervalMs: 100 });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live');
    srv.faults.stall(true);
    await until(() => r.errors.some((e) => e.code === 'heartbeat_timeout'), 'heartbeat_timeout');
    srv.faults.stall(false);
    publishRange(srv, RUNS, 4);
    await until(() => r.client.getWatermark(RUNS) === 4 && r.client.status === 'live', 'recovered');
  });

  it('refuses plain ws:// to a non-loopback host before dialling, without leaking the token', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0c2lnbmF0dXJl';
    let dialled = false;
    const client = new SyncClient({
      url: 'ws://sync.example.com/sync/socket/websocket',
      token,
      topics: [RUNS],
      transport: () => {
        dialled = true;
        throw new Error('must not dial');
      },
    });
    const errors: Array<{ code: string; message: string }> = [];
    client.on('error', (e) => errors.push({ code: e.code, message: e.message }));
    await client.connect();
    await until(() => client.status === 'closed');
    expect(dialled).toBe(false);
    expect(errors.map((e) => e.code)).toEqual(['insecure_transport']);
    expect(JSON.stringify(errors)).not.toContain(token);
    await client.close();
  });

  it('slow_consumer throttle keeps the connection; disconnect reconnects no sooner than reconnect_after_ms', async () => {
    srv = await server();
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live');
    const joins = srv.stats().joins;
    srv.faults.slowConsumer('throttle');
    await until(() => r.errors.filter((e) => e.code === 'slow_consumer').length === 1, 'throttle reported once');
    await sleep(100);
    expect(srv.stats().joins).toBe(joins);
    expect(r.errors.filter((e) => e.code === 'slow_consumer')).toHaveLength(1); // the doubled push counts once
    const t0 = Date.now();
    srv.faults.slowConsumer('disconnect');
    await until(() => srv.stats().joins > joins, 'rejoin', 6000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  });

  it('bad frames are reported with stable codes and change nothing; good frames still apply', async () => {
    srv = await server();
    publishRange(srv, RUNS, 5);
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 5);
    const bad = [
      'not json',
      '[1,2,3]',
      '[null,null,"sync:v1","sync:mystery",{}]',
      '[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"runtime.run_summaries","doc_key":"x","doc_version":1,"payload":{},"watermark":-4}],"replay_complete":true,"head_watermarks":[]}]',
      '[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"runtime.run_summaries","doc_key":"x","doc_version":1,"payload":{},"watermark":"99"}],"replay_complete":true,"head_watermarks":[]}]',
      '[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"runtime.run_summaries","doc_key":"x","doc_version":1,"payload":{"__proto__":{"polluted":true}},"watermark":99}],"replay_complete":true,"head_watermarks":[]}]',
      '[null,null,"sync:v1","sync:frame",{"topic":"runtime.run_summaries","seq":99,"kind":"KHALA_FRAME_KIND_UPDATE_BATCH","payload_bytes":"!!!notbase64","schema_version":1}]',
      '[null,null,"sync:v1","sync:frame",{"topic":"runtime.run_summaries","seq":99,"kind":"KHALA_FRAME_KIND_UPDATE_BATCH","payload_bytes":"e30=","schema_version":7}]',
      '[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"runtime.notifications","doc_key":"x","doc_version":1,"payload":{},"watermark":99}],"replay_complete":true,"head_watermarks":[]}]',
    ];
    for (const b of bad) srv.faults.pushRaw(b);
    await until(() => r.errors.length >= bad.length, 'all reported');
    expect(new Set(r.errors.map((e) => e.code))).toEqual(
      new Set(['malformed_frame', 'unknown_event', 'invalid_payload', 'forbidden_key', 'undecodable_frame', 'unsupported_frame_version', 'unsubscribed_topic']),
    );
    expect(r.client.getWatermark(RUNS)).toBe(5);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    publishRange(srv, RUNS, 2);
    await until(() => r.client.getWatermark(RUNS) === 7, 'still applying');
    expect(converged(srv, r.client, RUNS)).toBe(true);
  });

  it("verifyPayloadHash 'all': a payload number that overflows to Infinity (1e400) with a payload_hash is a hash mismatch, not a crash", async () => {
    srv = await server();
    publishRange(srv, RUNS, 2);
    // Socket bodies are recomputed only with 'all' (the default 'fetched' checks HTTP bodies, docs/security.md).
    const r = record(srv, { topics: [RUNS], verifyPayloadHash: 'all' });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 2);
    // No canonical JSON exists for a non-finite number, so no hash can match it (SPEC.md A6).
    const hash = payloadHashBase64({ x: 1 });
    srv.faults.pushRaw(
      `[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"${RUNS}","doc_key":"inf","doc_version":1,"payload":{"x":1e400},"payload_hash":"${hash}","watermark":3}],"replay_complete":true,"head_watermarks":[{"topic":"${RUNS}","watermark":3}]}]`,
    );
    await until(() => r.client.getWatermark(RUNS) === 3, 'cursor advanced past the suspect update');
    // No hydrator here, so the refused body cannot be fetched again: reported too (SPEC.md A14).
    expect(r.errors.map((e) => [e.code, e.details?.['reason']])).toEqual([
      ['payload_hash_mismatch', undefined],
      ['hydration_failed', 'no_hydrator'],
    ]);
    expect(r.client.getDocument(RUNS, 'inf')?.hydrationPending).toBe(true);
    publishRange(srv, RUNS, 2); // the server's journal is at 2: its 3 is a duplicate, its 4 applies
    await until(() => r.client.getWatermark(RUNS) === 4, 'still applying');
  });

  it('pointer mode: advances the cursor, keeps the old body, hydrates over HTTP and verifies the hash', async () => {
    srv = await server();
    srv.publish(RUNS, [{ docKey: 'k', payload: { v: 1 } }]);
    const r = record(srv, { topics: [RUNS], hydrator: httpHydrator({ baseUrl: srv.hydrateUrl }) });
    open.push(r);
    const hydrated: string[] = [];
    r.client.on('hydrated', (d) => hydrated.push(d.docKey));
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 1);
    srv.publish(RUNS, [{ docKey: 'k', payload: { v: 2, big: 'x'.repeat(100) }, pointer: true }]);
    await until(() => hydrated.length === 1, 'hydrated');
    const doc = r.client.getDocument(RUNS, 'k');
    expect(doc).toMatchObject({ docVersion: 2, hydrationPending: false, payload: { v: 2, big: 'x'.repeat(100) } });
    expect(doc?.payloadHash).toBe(payloadHashBase64({ v: 2, big: 'x'.repeat(100) }));
    expect(r.client.getWatermark(RUNS)).toBe(2);
  });
});

describe('oversized frames (SPEC.md A12)', () => {
  it('skips and reports a frame above maxFrameBytes, then resyncs its topic from the snapshot so nothing is lost', async () => {
    srv = await server();
    publishRange(srv, RUNS, 5);
    const r = record(srv, { topics: [RUNS], maxFrameBytes: 4000, snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 5 && r.client.status === 'live');
    srv.publish(RUNS, [{ docKey: 'big', payload: { blob: 'x'.repeat(6000) } }]);
    publishRange(srv, RUNS, 2, 10, 'after');
    await until(() => r.events.some((e) => e.type === 'bootstrap') && r.client.status === 'live' && r.client.getWatermark(RUNS) === 8, 'resync');
    const tooLarge = r.errors.filter((e) => e.code === 'frame_too_large');
    expect(tooLarge.length).toBeGreaterThanOrEqual(1);
    expect(tooLarge[0]!.topic).toBe(RUNS);
    expect((r.client.getDocument(RUNS, 'big')?.payload as { blob: string }).blob).toHaveLength(6000);
    expect(converged(srv, r.client, RUNS)).toBe(true);
  });

  it('without a snapshot source the skip is reported and the connection keeps applying later frames', async () => {
    srv = await server();
    const r = record(srv, { topics: [RUNS], maxFrameBytes: 4000 });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live');
    srv.publish(RUNS, [{ docKey: 'big', payload: { blob: 'x'.repeat(6000) } }]);
    await until(() => r.errors.some((e) => e.code === 'frame_too_large'));
    publishRange(srv, RUNS, 1, 10, 'after');
    await until(() => r.client.getWatermark(RUNS) === 2, 'later frame applied');
    expect(r.client.getDocument(RUNS, 'big')).toBeUndefined();
  });
});
