import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { publishN, range, seqsOf, stClient, stTestBed, STREAM_A } from '../adapters/spacetime/client-helpers.js';
import { converged, noDuplicates, publishRange, record, RUNS, seqs, server, until, type Recorded } from './harness.js';
import { httpSnapshotSource } from '../../src/http.js';

let srv: ReferenceServer | undefined;
let lag: LaggingSnapshots | undefined;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await lag?.close();
  lag = undefined;
  await srv?.close();
  srv = undefined;
});

/**
 * A snapshot endpoint in front of the reference server that can fall behind: it forwards requests
 * and remembers the last page it served; while `frozen`, it answers every request with that page
 * (a lagging snapshot replica).
 */
interface LaggingSnapshots {
  url: string;
  frozen: boolean;
  last: string | undefined;
  requests: number;
  close(): Promise<void>;
}

async function laggingSnapshots(target: { snapshotUrl: string }): Promise<LaggingSnapshots> {
  const state = { frozen: false, last: undefined as string | undefined, requests: 0 };
  const http: Server = createServer((req, res) => {
    state.requests++;
    const send = (status: number, body: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (state.frozen && state.last !== undefined) return send(200, state.last);
    fetch(`${target.snapshotUrl}${req.url!.slice('/snap'.length)}`, { headers: { authorization: req.headers.authorization ?? '' } })
      .then(async (r) => {
        const body = await r.text();
        if (r.status === 200) state.last = body;
        send(r.status, body);
      })
      .catch(() => send(502, '{}'));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/snap`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  });
}

const behind = (r: Recorded) => r.errors.filter((e) => e.code === 'snapshot_behind_cursor');

describe('a snapshot behind the cursor is never applied (SPEC.md R12), reference server + SQLite', () => {
  it('resync() against a lagging snapshot: refused, no rewind, no older document, no update emitted twice; retried until the snapshot catches up', async () => {
    srv = await server();
    lag = await laggingSnapshots(srv);
    const path = join(mkdtempSync(join(tmpdir(), 'ks-behind-')), 's.sqlite');
    publishRange(srv, RUNS, 30);
    const r = record(srv, { topics: [RUNS], store: createSqliteStore({ path }), snapshot: httpSnapshotSource({ baseUrl: lag.url }) });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 30, 'first 30');
    // A snapshot at head 30 passes through the endpoint (and is what it will keep serving).
    r.client.resync(RUNS);
    await until(() => r.events.filter((e) => e.type === 'bootstrap').length === 1 && r.client.status === 'live', 'first resync');
    publishRange(srv, RUNS, 70);
    await until(() => r.client.getWatermark(RUNS) === 100, 'up to 100');
    const newer = new Map(r.client.listDocuments(RUNS).map((d) => [d.docKey, d.docVersion]));
    const emitted = seqs(r, RUNS).length;
    expect(emitted).toBe(100);

    lag.frozen = true;
    r.client.resync(RUNS);
    await until(() => behind(r).length > 0 || r.events.filter((e) => e.type === 'bootstrap').length > 1, 'the lagging snapshot');
    // Give a wrongly applied snapshot time to show its replay.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(behind(r)[0]).toMatchObject({ topic: RUNS, retryable: true, details: { head: 30, cursor: 100 } });
    expect(r.events.filter((e) => e.type === 'bootstrap')).toHaveLength(1);
    expect(r.client.getWatermark(RUNS)).toBe(100);
    for (const d of r.client.listDocuments(RUNS)) expect(d.docVersion, d.docKey).toBe(newer.get(d.docKey));
    expect(seqs(r, RUNS)).toHaveLength(emitted);

    // On disk too: the cursor and the newer documents stayed.
    const peek = createSqliteStore({ path });
    const stored = await peek.load([RUNS]);
    await peek.close();
    expect(stored.watermarks[RUNS]).toBe(100);
    for (const d of stored.documents) expect(d.docVersion, d.docKey).toBe(newer.get(d.docKey));

    // Refused again while the endpoint lags (1 s, then 2 s), applied once it has caught up.
    await until(() => behind(r).length >= 2, 'the second refusal', 5000);
    lag.frozen = false;
    await until(() => r.events.filter((e) => e.type === 'bootstrap').length === 2 && r.client.status === 'live', 'caught-up snapshot', 8000);
    expect(r.client.getWatermark(RUNS)).toBe(100);
    publishRange(srv, RUNS, 5);
    await until(() => r.client.getWatermark(RUNS) === 105, 'live after');
    expect(seqs(r, RUNS)).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    expect(noDuplicates(seqs(r, RUNS))).toBe(true);
    expect(converged(srv, r.client, RUNS)).toBe(true);
  }, 20_000);

  describe('Spacetime lane', () => {
    const bed = stTestBed();

    it('resync() against a lagging snapshot: refused, the stream keeps its cursor and rows, nothing is emitted twice', async () => {
      const st = await bed.start();
      lag = await laggingSnapshots(st);
      const path = join(mkdtempSync(join(tmpdir(), 'ks-behind-st-')), 's.sqlite');
      publishN(st, STREAM_A, 10);
      const r = bed.track(stClient(st, { topics: [STREAM_A], store: createSqliteStore({ path }), snapshot: httpSnapshotSource({ baseUrl: lag.url }) }));
      await r.client.connect();
      await until(() => r.client.getWatermark(STREAM_A) === 10 && r.client.status === 'live', 'first 10');
      r.client.resync(STREAM_A);
      await until(() => r.events.filter((e) => e.type === 'bootstrap').length === 1 && r.client.status === 'live', 'first resync');
      publishN(st, STREAM_A, 20);
      await until(() => r.client.getWatermark(STREAM_A) === 30, 'up to 30');
      const rows = r.client.listDocuments(STREAM_A).length;

      lag.frozen = true;
      r.client.resync(STREAM_A);
      await until(() => behind(r).length > 0 || r.events.filter((e) => e.type === 'bootstrap').length > 1, 'the lagging snapshot');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(behind(r)[0]).toMatchObject({ topic: STREAM_A, details: { head: 10, cursor: 30 } });
      expect(r.client.getWatermark(STREAM_A)).toBe(30);
      expect(r.client.listDocuments(STREAM_A)).toHaveLength(rows);
      expect(seqsOf(r, STREAM_A)).toEqual(range(1, 30));

      lag.frozen = false;
      await until(() => r.events.filter((e) => e.type === 'bootstrap').length === 2 && r.client.status === 'live', 'caught-up snapshot', 8000);
      publishN(st, STREAM_A, 2);
      await until(() => r.client.getWatermark(STREAM_A) === 32, 'live after');
      expect(seqsOf(r, STREAM_A)).toEqual(range(1, 32));
    }, 20_000);
  });
});
