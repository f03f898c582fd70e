// App schemas (`schemas` option) run only for batches the client will apply, and what decides is the
// topic's state once the (async) schema has answered, not the state when it was called.
import { afterEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { StandardResult, StandardSchemaV1 } from '../../src/client/topic-schemas.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { publishRange, recordClient, RUNS, server, until, WORKERS, type Recorded } from './harness.js';
import { httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

/** A schema over `{ i }` payloads that hands each value to `validate`. */
function schemaOf(validate: (i: number) => Promise<StandardResult<unknown>> | StandardResult<unknown>): StandardSchemaV1 {
  return { '~standard': { version: 1, vendor: 'test', validate: (value) => validate((value as { i: number }).i) } };
}

const refuse = (message: string): StandardResult<unknown> => ({ issues: [{ message }] });

function client(srv: ReferenceServer, schema: StandardSchemaV1, extra: Record<string, unknown> = {}): Recorded {
  const typed = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), reconnectDelay: () => 20, topics: [RUNS, WORKERS], schemas: { [RUNS]: schema }, ...extra });
  const r = recordClient(typed as unknown as SyncClient);
  open.push(r);
  return r;
}

describe('app schemas and the topic state', () => {
  it('a batch in flight for a topic the app unsubscribed never reaches its schema and reports nothing (A9)', async () => {
    srv = await server({ maxBatchSize: 5 });
    publishRange(srv, RUNS, 600);
    let calledWhileLeft = 0;
    let left: Promise<void> | undefined;
    // Refuses every body past the first batch: a call for an in-flight batch would report schema_mismatch.
    const r = client(
      srv,
      schemaOf((i) => {
        if (left !== undefined && r.client.getWatermark(RUNS) === undefined) calledWhileLeft++;
        return i < 5 ? { value: { i } } : refuse('past the first batch');
      }),
    );
    r.client.on('updates', (b) => void (b.topic === RUNS && (left ??= r.client.unsubscribe(RUNS))));
    await r.client.connect();
    await until(() => left !== undefined, 'first batch');
    await left;
    await new Promise((res) => setTimeout(res, 200)); // the batches already sent arrive
    expect(calledWhileLeft).toBe(0);
    expect(r.errors.map((e) => e.code)).toEqual([]);
  });

  it('a topic the app leaves while its schema runs: the batch is dropped and its refusal not reported', async () => {
    srv = await server({ maxBatchSize: 5 });
    publishRange(srv, RUNS, 10);
    const r = client(
      srv,
      schemaOf(async (i) => {
        if (i !== 7) return { value: { i } };
        await r.client.unsubscribe(RUNS);
        return refuse('seven');
      }),
    );
    await r.client.connect();
    await until(() => r.client.getWatermark(RUNS) === undefined, 'left');
    await new Promise((res) => setTimeout(res, 100)); // the batch under check finishes
    expect(r.errors.map((e) => e.code)).toEqual([]);
    expect(r.applied.filter((a) => a.topic === RUNS).map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a cursor a snapshot moves while the schema runs: an update now below it is a duplicate, its refusal not reported', async () => {
    srv = await server({ maxBatchSize: 5 });
    publishRange(srv, RUNS, 15, 5); // batches 1-5, 6-10, 11-15; the snapshot holds i 10..14
    let resynced = false;
    const checked: number[] = [];
    const r = client(
      srv,
      schemaOf(async (i) => {
        checked.push(i);
        if (i !== 7 || resynced) return { value: { i } };
        resynced = true;
        r.client.resync(RUNS);
        await until(() => r.events.some((e) => e.type === 'bootstrap'), 'snapshot applied');
        return refuse('seven');
      }),
      { snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) },
    );
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 15, 'live at 15');
    // Seq 8 (i = 7) is below the snapshot's cursor now: a duplicate, not a refused update to report.
    expect(r.errors.map((e) => e.code)).toEqual([]);
    expect(r.client.getDocument(RUNS, 'doc:2')?.payload).toEqual({ i: 12, text: 'é日本🙂' });
    expect(checked.filter((i) => i === 7)).toHaveLength(1);
  });
});
