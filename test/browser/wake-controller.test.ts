// khala-sync/browser's wake controller over a real socket to the reference server: a wake probe
// keeps a live socket, replaces a zombie (the server's output stalled) exactly once however many
// wake signals arrive together, and offline holds reconnects until online dials at once.
import { afterEach, describe, expect, it } from 'vitest';
import { attachWakeController, type WakeEvent } from '../../src/browser/wake-controller.js';
import { hostLifecycle } from '../../src/browser/page-lifecycle.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { noDuplicates, publishRange, record, RUNS, seqs, server, until, type Recorded } from '../client/harness.js';

let srv: ReferenceServer | undefined;
let r: Recorded | undefined;

afterEach(async () => {
  await r?.client.close();
  await srv?.close();
  r = srv = undefined;
});

async function liveClient(): Promise<Recorded> {
  srv = await server();
  publishRange(srv, RUNS, 5);
  r = record(srv, { topics: [RUNS] });
  await r.client.connect();
  await until(() => r!.client.status === 'live' && r!.client.getWatermark(RUNS) === 5, 'live at 5');
  return r;
}

describe('wake controller', () => {
  it('a wake probe on a live socket is answered and nothing reconnects', async () => {
    const { client } = await liveClient();
    const host = hostLifecycle();
    const events: WakeEvent[] = [];
    const wake = attachWakeController(client, host, { probeTimeoutMs: 5_000, onEvent: (e) => events.push(e) });
    host.foreground();
    await until(() => events.some((e) => e.type === 'probe'), 'probe');
    expect(events).toEqual([
      { type: 'signal', signal: 'wake', cause: 'host_foreground' },
      { type: 'probe', result: 'alive', cause: 'host_foreground' },
    ]);
    expect(srv!.stats().connections).toBe(1);
    wake.detach();
  });

  it('two wake signals together make one probe; the zombie socket is replaced once and sync resumes with no duplicate', async () => {
    const rec = await liveClient();
    const host = hostLifecycle();
    const events: WakeEvent[] = [];
    attachWakeController(rec.client, host, { probeTimeoutMs: 300, onEvent: (e) => events.push(e) });
    srv!.faults.stall(true); // the socket stays open but nothing comes back: a zombie
    host.foreground();
    host.foreground();
    const shared = await Promise.all([rec.client.probeConnection(300), rec.client.probeConnection(300)]);
    expect(shared).toEqual(['dead', 'dead']);
    srv!.faults.stall(false);
    expect(events.filter((e) => e.type === 'probe')).toEqual([{ type: 'probe', result: 'dead', cause: 'host_foreground' }]);
    publishRange(srv!, RUNS, 3);
    await until(() => rec.client.status === 'live' && rec.client.getWatermark(RUNS) === 8, 'resumed at 8');
    expect(srv!.stats().connections).toBe(2);
    expect(seqs(rec, RUNS)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(noDuplicates(seqs(rec, RUNS))).toBe(true);
  });

  it('offline holds reconnect attempts; online dials at once and resumes', async () => {
    const rec = await liveClient();
    const host = hostLifecycle();
    attachWakeController(rec.client, host, { probeTimeoutMs: 2_000 });
    host.offline();
    srv!.faults.dropConnections();
    await until(() => rec.client.status === 'backoff', 'backoff');
    publishRange(srv!, RUNS, 4);
    // The client's backoff is 20 ms here: ten times that passes with no attempt while offline.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(srv!.stats().connections).toBe(1);
    expect(rec.client.status).toBe('backoff');
    const wentOnline = Date.now();
    host.online();
    await until(() => rec.client.status === 'live' && rec.client.getWatermark(RUNS) === 9, 'resumed at 9');
    expect(srv!.stats().connections).toBe(2);
    expect(Date.now() - wentOnline).toBeLessThan(5_000);
    expect(seqs(rec, RUNS)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a probe with no joined socket reports not_connected, and a wake while offline does not probe', async () => {
    srv = await server();
    r = record(srv, { topics: [RUNS] });
    expect(await r.client.probeConnection(100)).toBe('not_connected');
    const host = hostLifecycle(false);
    const wake = attachWakeController(r.client, host);
    expect(wake.online).toBe(false);
    expect(await wake.wake('test')).toBe('offline');
  });
});
