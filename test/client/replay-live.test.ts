import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { converged, EVENTS, noDuplicates, publishRange, record, RUNS, seqs, server, until, type Recorded } from './harness.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

describe('replay and live tail over a real socket', () => {
  it('replays a backlog, reports caught up, then applies live updates exactly once despite double emission', async () => {
    srv = await server();
    publishRange(srv, RUNS, 450, 30);
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 450, 'replay');
    expect(r.events.filter((e) => e.type === 'caught_up')).toHaveLength(1);
    publishRange(srv, RUNS, 60, 30, 'live');
    await until(() => r.client.getWatermark(RUNS) === 510, 'live');
    const s = seqs(r, RUNS);
    expect(s).toEqual(Array.from({ length: 510 }, (_, i) => i + 1));
    const m = r.client.getMetrics();
    expect(m.applied).toBe(510);
    expect(m.gapsSeen).toBe(0);
    expect(m.timeToCaughtUpMs[RUNS]).toBeGreaterThanOrEqual(0);
    expect(converged(srv, r.client, RUNS)).toBe(true);
    expect(r.errors).toEqual([]);
  });

  it('counts gaps (burned watermarks) without rewinding', async () => {
    srv = await server();
    publishRange(srv, RUNS, 3);
    srv.burnWatermarks(RUNS, 4);
    publishRange(srv, RUNS, 2);
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 9);
    expect(seqs(r, RUNS)).toEqual([1, 2, 3, 8, 9]);
    expect(r.client.getMetrics().gapsSeen).toBe(1);
  });

  it('a topic already at head is caught up from the subscribe reply alone', async () => {
    srv = await server();
    const r = record(srv, { topics: [EVENTS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.events.some((e) => e.type === 'caught_up'), 'caught_up');
    expect(r.client.status).toBe('live');
    expect(r.applied).toEqual([]);
  });

  it('resumes from a SQLite file after a restart with no duplicate and no gap', async () => {
    srv = await server();
    const path = join(mkdtempSync(join(tmpdir(), 'ks-')), 's.sqlite');
    publishRange(srv, RUNS, 120);
    const a = record(srv, { topics: [RUNS], store: createSqliteStore({ path }) });
    await a.client.connect();
    await until(() => a.client.getWatermark(RUNS) === 120, 'first run');
    await a.client.close();
    publishRange(srv, RUNS, 80);
    const b = record(srv, { topics: [RUNS], store: createSqliteStore({ path }) });
    open.push(b);
    await b.client.subscribe([]);
    expect(b.client.getWatermark(RUNS)).toBe(120);
    expect(b.client.listDocuments(RUNS)).toHaveLength(10);
    await b.client.connect();
    await until(() => b.client.getWatermark(RUNS) === 200, 'second run');
    expect(seqs(b, RUNS)).toEqual(Array.from({ length: 80 }, (_, i) => 121 + i));
    expect(noDuplicates([...seqs(a, RUNS), ...seqs(b, RUNS)])).toBe(true);
    expect(converged(srv, b.client, RUNS)).toBe(true);
  });

  it('reconnects after the server drops every socket and resumes from its cursor', async () => {
    srv = await server();
    publishRange(srv, RUNS, 50);
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 50);
    srv.faults.dropConnections();
    publishRange(srv, RUNS, 30);
    await until(() => r.client.getWatermark(RUNS) === 80 && r.client.status === 'live', 'resume');
    expect(r.statuses).toContain('backoff');
    expect(seqs(r, RUNS)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  });

  it('survives a server restart on the same port', async () => {
    srv = await server();
    publishRange(srv, RUNS, 20);
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 20);
    await srv.restart();
    publishRange(srv, RUNS, 5);
    await until(() => r.client.getWatermark(RUNS) === 25 && r.client.status === 'live', 'after restart');
    expect(noDuplicates(seqs(r, RUNS))).toBe(true);
  });

  it('treats phx_error with the socket still open as a channel death and rejoins', async () => {
    srv = await server();
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live');
    const joins = srv.stats().joins;
    srv.faults.phxErrorAll();
    await until(() => srv.stats().joins > joins && r.client.status === 'live', 'rejoin');
    publishRange(srv, RUNS, 3);
    await until(() => r.client.getWatermark(RUNS) === 3);
    expect(r.errors.map((e) => e.code)).toContain('channel_closed');
  });

  it('updates the useSyncExternalStore pair: listener called on change, snapshot stable in between', async () => {
    srv = await server();
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    let calls = 0;
    const unsubscribe = r.client.onChange(() => calls++);
    await r.client.connect();
    await until(() => r.client.status === 'live');
    const snap = r.client.getSnapshot();
    expect(r.client.getSnapshot()).toBe(snap);
    const list = r.client.listDocuments(RUNS);
    const before = calls;
    publishRange(srv, RUNS, 1);
    await until(() => r.client.getWatermark(RUNS) === 1);
    expect(calls).toBeGreaterThan(before);
    expect(r.client.getSnapshot()).not.toBe(snap);
    expect(r.client.getSnapshot().topics[RUNS]?.watermark).toBe(1);
    expect(r.client.listDocuments(RUNS)).not.toBe(list);
    unsubscribe();
    const after = calls;
    publishRange(srv, RUNS, 1);
    await until(() => r.client.getWatermark(RUNS) === 2);
    expect(calls).toBe(after);
  });
});

describe('event ordering', () => {
  it('during an updates event the watermark already includes the batch, and caught_up comes after the last updates', async () => {
    srv = await server();
    publishRange(srv, RUNS, 250);
    const r = record(srv, { topics: [RUNS] });
    open.push(r);
    const seen: Array<[string, number | undefined, number]> = [];
    r.client.on('updates', (b) => seen.push(['updates', r.client.getWatermark(RUNS), b.updates.at(-1)!.watermark]));
    r.client.on('caught_up', () => seen.push(['caught_up', r.client.getWatermark(RUNS), -1]));
    await r.client.connect();
    await until(() => seen.some((s) => s[0] === 'caught_up'));
    for (const [type, wm, last] of seen) if (type === 'updates') expect(wm).toBe(last);
    expect(seen.at(-1)?.[0]).toBe('caught_up');
    expect(seen.filter((s) => s[0] === 'updates').at(-1)?.[2]).toBe(250);
  });
});
