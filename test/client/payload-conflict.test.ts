import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { khalaFrame } from '../../src/server/khala-frames.js';
import { payloadHashBase64, payloadHashText } from '../../src/hash/index.js';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import type { JsonObject } from '../../src/util/json.js';
import { publishN, seqsOf, stClient, stTestBed, STREAM_A } from '../adapters/spacetime/client-helpers.js';
import { noDuplicates, publishRange, record, RUNS, seqs, server, until, type Recorded } from './harness.js';

let srv: ReferenceServer | undefined;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
  srv = undefined;
});

const conflicts = (r: Recorded) => r.errors.filter((e) => e.code === 'payload_conflict');
const quiet = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('payload conflicts (SPEC.md A13) over a real socket', () => {
  it('Khala + SQLite: an applied seq again with another payload_hash (legacy event, then its sync:frame copy) is reported once, the first copy kept', async () => {
    srv = await server();
    const path = join(mkdtempSync(join(tmpdir(), 'ks-conflict-')), 's.sqlite');
    publishRange(srv, RUNS, 5, 5);
    const r = record(srv, { topics: [RUNS], store: createSqliteStore({ path }), metrics: clientMetrics() });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === 5 && r.client.status === 'live', 'first 5');
    const held = r.client.listDocuments(RUNS).find((d) => d.watermark === 5)!;
    expect(held.payloadHash).toBeTruthy();

    // The server sends seq 5 again with another body and a hash that matches that body.
    const evil = { evil: true };
    const update = { topic: RUNS, doc_key: held.docKey, doc_version: held.docVersion, payload: evil, payload_hash: payloadHashBase64(evil), watermark: 5 };
    const body: JsonObject = { updates: [update], replay_complete: true, head_watermarks: [{ topic: RUNS, watermark: 5 }] };
    srv.faults.pushRaw(JSON.stringify([null, null, 'sync:v1', 'sync:update_batch', body]));
    srv.faults.pushRaw(JSON.stringify([null, null, 'sync:v1', 'sync:frame', khalaFrame(RUNS, 5, 'KHALA_FRAME_KIND_UPDATE_BATCH', body)]));
    await until(() => conflicts(r).length > 0, 'payload_conflict');
    await quiet(200);
    expect(conflicts(r)).toHaveLength(1);
    expect(conflicts(r)[0]).toMatchObject({ topic: RUNS, details: { watermark: 5, docKey: held.docKey, firstHash: held.payloadHash, hash: update.payload_hash } });
    expect(r.client.getMetrics().payloadConflicts).toBe(1);
    expect(r.client.metrics!.read('khala_sync.payload_conflicts')?.samples).toEqual([{ value: 1 }]);
    expect(r.client.getDocument(RUNS, held.docKey)?.payload).toEqual(held.payload);

    // A sync:frame alone (the lane could skip it as already applied) with a third hash: decoded and reported.
    const other = { other: 1 };
    const body2: JsonObject = { updates: [{ ...update, payload: other, payload_hash: payloadHashBase64(other) }], replay_complete: true, head_watermarks: [] };
    srv.faults.pushRaw(JSON.stringify([null, null, 'sync:v1', 'sync:frame', khalaFrame(RUNS, 5, 'KHALA_FRAME_KIND_UPDATE_BATCH', body2)]));
    await until(() => conflicts(r).length === 2, 'the frame-only conflict');

    publishRange(srv, RUNS, 2, 5);
    await until(() => r.client.getWatermark(RUNS) === 7, 'live after');
    expect(seqs(r, RUNS)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await r.client.close();
    open.length = 0;
    const peek = createSqliteStore({ path });
    const stored = await peek.load([RUNS]);
    await peek.close();
    expect(stored.watermarks[RUNS]).toBe(7);
    const kept = stored.documents.find((d) => d.docKey === held.docKey)!;
    expect(kept.payload).not.toEqual(evil);
    expect(kept.payload).not.toEqual(other);
  });

  describe('Spacetime', () => {
    const bed = stTestBed();

    it('a delta repeating an applied seq with another sha256 hash is payload_conflict; the first copy stays, nothing is emitted twice', async () => {
      const st = await bed.start();
      publishN(st, STREAM_A, 4);
      const r = bed.track(stClient(st, { topics: [STREAM_A] }));
      await r.client.connect();
      await until(() => r.client.getWatermark(STREAM_A) === 4 && r.client.status === 'live', 'first 4');
      const first = st.rows(STREAM_A).find((row) => row.seq === 3)!;
      const evil = { evil: true };
      const row = JSON.stringify([first.idempotency_key, STREAM_A, 3, payloadHashText(evil), JSON.stringify(evil), Date.now(), 3, true]);
      const same = JSON.stringify([first.idempotency_key, STREAM_A, 3, first.payload_hash, first.payload_json, Date.now(), 3, true]);
      const tables = [{ table_id: 4099, table_name: 'sync_event', num_rows: 2, updates: [{ deletes: [], inserts: [same, row] }] }];
      st.faults.pushRaw(JSON.stringify({ TransactionUpdateLight: { request_id: 0, update: { tables } } }));
      await until(() => conflicts(r).length > 0, 'payload_conflict');
      expect(conflicts(r)).toHaveLength(1);
      expect(conflicts(r)[0]).toMatchObject({ topic: STREAM_A, details: { watermark: 3, firstHash: first.payload_hash, hash: payloadHashText(evil) } });
      expect(r.client.getDocument(STREAM_A, first.idempotency_key)?.payload).toEqual(JSON.parse(first.payload_json));
      publishN(st, STREAM_A, 1);
      await until(() => r.client.getWatermark(STREAM_A) === 5, 'live after');
      expect(seqsOf(r, STREAM_A)).toEqual([1, 2, 3, 4, 5]);
      expect(noDuplicates(seqsOf(r, STREAM_A))).toBe(true);
    });
  });
});
