import { afterEach, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { EVENTS, publishRange, record, RUNS, server, until, type Recorded } from './harness.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

function client(options: Parameters<typeof record>[1] = {}): Recorded {
  const r = record(srv, options);
  open.push(r);
  return r;
}

async function rejection(p: Promise<unknown>): Promise<KhalaSyncError> {
  try {
    await p;
  } catch (err) {
    return err as KhalaSyncError;
  }
  throw new Error('expected a rejection');
}

describe('client.whenLive over a real socket', () => {
  it('resolves once every subscribed topic has replayed its backlog and is live', async () => {
    srv = await server();
    publishRange(srv, RUNS, 300, 20);
    const r = client({ topics: [RUNS, EVENTS] });
    const live = r.client.whenLive();
    await r.client.connect();
    await live;
    expect(r.client.status).toBe('live');
    expect(r.client.getWatermark(RUNS)).toBe(300);
    expect(r.client.listDocuments(RUNS)).toHaveLength(20);
    // Already live: resolves at once, also for one named topic.
    await r.client.whenLive(RUNS);
  });

  it('waits for a topic subscribed after connect, and out a reconnect', async () => {
    srv = await server();
    const r = client({ topics: [EVENTS] });
    await r.client.connect();
    await r.client.whenLive();
    publishRange(srv, RUNS, 5);
    void r.client.subscribe(RUNS);
    await r.client.whenLive([RUNS]);
    expect(r.client.getWatermark(RUNS)).toBe(5);
    const joins = srv.stats().joins;
    srv.faults.phxErrorAll();
    await until(() => r.client.status !== 'live', 'channel dropped');
    publishRange(srv, RUNS, 2);
    await r.client.whenLive(); // the rejoin is not a failure
    expect(srv.stats().joins).toBeGreaterThan(joins);
    expect(r.client.getWatermark(RUNS)).toBe(7);
    expect(r.errors.map((e) => e.code)).toContain('channel_closed');
  });

  it('rejects with forbidden_topic for a refused topic while the others go live', async () => {
    srv = await server();
    const r = client({ topics: [RUNS, 'runtime.unknown'] });
    await r.client.connect();
    await r.client.whenLive(RUNS);
    const err = await rejection(r.client.whenLive('runtime.unknown'));
    expect(err.code).toBe('forbidden_topic');
    expect(err.topic).toBe('runtime.unknown');
    expect((await rejection(r.client.whenLive())).code).toBe('forbidden_topic');
  });

  it('rejects with upgrade_required when the server refuses the build', async () => {
    srv = await server({ compatibility: { enforce: true, protocolVersion: 'khala.ws.v1', minClientBuildId: '20990101T000000Z', maxClientBuildId: null, minSchemaVersion: 1, maxSchemaVersion: 1 } });
    const r = client({ topics: [RUNS] });
    const waiting = r.client.whenLive();
    await r.client.connect();
    const err = await rejection(waiting);
    expect(err.code).toBe('upgrade_required');
    expect(r.client.status).toBe('upgrade_required');
    expect((await rejection(r.client.whenLive(RUNS))).code).toBe('upgrade_required');
  });

  it('rejects with client_closed when the client closes during the wait, and after', async () => {
    srv = await server();
    const r = client({ topics: [RUNS] });
    const waiting = r.client.whenLive();
    await r.client.close();
    expect((await rejection(waiting)).code).toBe('client_closed');
    expect((await rejection(r.client.whenLive())).code).toBe('client_closed');
  });

  it('rejects with unsubscribed_topic for a topic never subscribed', async () => {
    srv = await server();
    const r = client({ topics: [RUNS] });
    expect((await rejection(r.client.whenLive(EVENTS))).code).toBe('unsubscribed_topic');
  });

  it('an abort signal ends the wait with an AbortError-named aborted error and releases its listener', async () => {
    srv = await server();
    const r = client({ topics: [RUNS] });
    // The set is made on the first listener and dropped with the last.
    const listeners = (): number => (r.client as unknown as { changeListeners: Set<unknown> | undefined }).changeListeners?.size ?? 0;
    const ac = new AbortController();
    const waiting = r.client.whenLive(undefined, { signal: ac.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listeners()).toBe(1);
    ac.abort(new Error('user left'));
    const err = await rejection(waiting);
    expect(err.code).toBe('aborted');
    expect(err.name).toBe('AbortError');
    expect((err.cause as Error).message).toBe('user left');
    expect(listeners()).toBe(0);
    expect((await rejection(r.client.whenLive(RUNS, { signal: AbortSignal.abort() }))).code).toBe('aborted');
  });

  it('connect({ signal }) already aborted rejects and dials nothing; subscribe({ signal }) leaves the topic out', async () => {
    srv = await server();
    const r = client({ topics: [RUNS] });
    expect((await rejection(r.client.connect({ signal: AbortSignal.abort() }))).code).toBe('aborted');
    expect(r.client.status).toBe('idle');
    expect((await rejection(r.client.subscribe(EVENTS, { signal: AbortSignal.abort() }))).code).toBe('aborted');
    await r.client.connect();
    await r.client.whenLive();
    expect(Object.keys(r.client.getSnapshot().topics)).toEqual([RUNS]);
    expect(srv.stats().connections).toBe(1);
  });
});
