import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { ReferenceServer } from '../../src/server/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { StandardSchemaV1 } from '../../src/client/topic-schemas.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import type { JsonValue } from '../../src/util/json.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { EVENTS, publishRange, recordClient, RUNS, server, until, type Recorded } from './harness.js';
import { httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

const RunSummary = z.object({ i: z.number(), text: z.string() });

function typedClient(extra: Record<string, unknown> = {}) {
  const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), reconnectDelay: () => 20, topics: [RUNS, EVENTS], schemas: { [RUNS]: RunSummary }, ...extra });
  const r = recordClient(client as unknown as SyncClient);
  open.push(r);
  return { client, r };
}

const mismatches = (r: Recorded): KhalaSyncError[] => r.errors.filter((e) => e.code === 'schema_mismatch');

describe('typed topics (Standard Schema per topic)', () => {
  it('types documents from a schema map or a type parameter; other topics stay JsonValue', () => {
    const inferred = new SyncClient({ url: 'ws://127.0.0.1:1', token: 't0ken', schemas: { [RUNS]: RunSummary } });
    expectTypeOf(inferred.getDocument(RUNS, 'k')?.payload).toEqualTypeOf<{ i: number; text: string } | null | undefined>();
    expectTypeOf<ReturnType<typeof inferred.listDocuments<typeof RUNS>>[number]['payload']>().toEqualTypeOf<{ i: number; text: string } | null>();
    expectTypeOf(inferred.getDocument(EVENTS, 'k')?.payload).toEqualTypeOf<JsonValue | null | undefined>();
    const declared = new SyncClient<{ [RUNS]: { title: string } }>({ url: 'ws://127.0.0.1:1', token: 't0ken' });
    expectTypeOf(declared.getDocument(RUNS, 'k')?.payload).toEqualTypeOf<{ title: string } | null | undefined>();
    const untyped = new SyncClient({ url: 'ws://127.0.0.1:1', token: 't0ken' });
    expectTypeOf(untyped.getDocument(RUNS, 'k')?.payload).toEqualTypeOf<JsonValue | null | undefined>();
    expect(() => new SyncClient({ url: 'ws://127.0.0.1:1', token: 't0ken', schemas: { [RUNS]: {} as StandardSchemaV1 } })).toThrow(/invalid option schemas.runtime.run_summaries/);
  });

  it('a payload that fails its schema is not stored or reported as an update, the cursor still advances, and schema_mismatch names the issue', async () => {
    srv = await server();
    publishRange(srv, RUNS, 3, 3);
    srv.publish(RUNS, [{ docKey: 'doc:1', payload: { i: 'one', text: 'bad' } }]); // watermark 4
    srv.publish(EVENTS, [{ docKey: 'e', payload: { anything: true } }]);
    const { client, r } = typedClient();
    await client.connect();
    await client.whenLive();
    expect(client.getWatermark(RUNS)).toBe(4);
    expect(r.applied.filter((a) => a.topic === RUNS).map((a) => a.seq)).toEqual([1, 2, 3]);
    expect(client.getDocument(RUNS, 'doc:1')?.payload).toEqual({ i: 1, text: 'é日本🙂' }); // the previous version stays
    expect(client.getDocument(EVENTS, 'e')?.payload).toEqual({ anything: true }); // no schema, no check
    const [err] = mismatches(r);
    expect(err).toMatchObject({ code: 'schema_mismatch', topic: RUNS, source: 'client', retryable: false });
    expect(err!.details).toMatchObject({ docKey: 'doc:1', watermark: 4, issues: [{ path: 'i' }] });
    expect(JSON.stringify(err!.details)).not.toContain('bad'); // never the payload
    // Live: a valid update after it applies normally.
    srv.publish(RUNS, [{ docKey: 'doc:1', payload: { i: 5, text: 'ok' } }]);
    await until(() => client.getWatermark(RUNS) === 5, 'live update');
    expect(client.getDocument(RUNS, 'doc:1')?.payload).toEqual({ i: 5, text: 'ok' });
    // The cursor passed the refused seq: a restart does not replay it.
    expect(srv.stats().subscribes).toBe(1);
  });

  it('snapshot documents are checked too (stale cursor bootstrap)', async () => {
    srv = await server();
    publishRange(srv, RUNS, 20, 4);
    srv.publish(RUNS, [{ docKey: 'doc:bad', payload: { i: 21 } }]);
    srv.prune(RUNS, 15);
    const store = createMemoryStore();
    await store.commit({ topic: RUNS, watermark: 2, documents: [] });
    const { client, r } = typedClient({ store, snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }), topics: [RUNS] });
    await client.connect();
    await client.whenLive();
    expect(r.events.some((e) => e.type === 'bootstrap')).toBe(true);
    expect(client.getWatermark(RUNS)).toBe(21);
    expect(client.listDocuments(RUNS).map((d) => d.docKey).sort()).toEqual(['doc:0', 'doc:1', 'doc:2', 'doc:3']);
    expect(mismatches(r).map((e) => e.details['docKey'])).toEqual(['doc:bad']);
  });

  it('an async validator is awaited, and a throwing one counts as a mismatch instead of breaking the client', async () => {
    srv = await server();
    publishRange(srv, RUNS, 4, 4);
    const calls: unknown[] = [];
    const asyncSchema: StandardSchemaV1<unknown, { i: number }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) => {
          calls.push(value);
          await new Promise((res) => setTimeout(res, 1));
          if ((value as { i: number }).i === 2) throw new Error('validator bug');
          return (value as { i: number }).i === 3 ? { issues: [{ message: 'no threes', path: [{ key: 'i' }] }] } : { value: value as { i: number } };
        },
      },
    };
    const { client, r } = typedClient({ schemas: { [RUNS]: asyncSchema }, topics: [RUNS] });
    await client.connect();
    await client.whenLive();
    expect(calls).toHaveLength(4);
    expect(client.getWatermark(RUNS)).toBe(4);
    expect(client.listDocuments(RUNS).map((d) => d.docKey).sort()).toEqual(['doc:0', 'doc:1']);
    expect(mismatches(r).map((e) => (e.details['issues'] as Array<{ message: string; path: string }>)[0])).toEqual([
      { message: 'validator threw: validator bug', path: '' },
      { message: 'no threes', path: 'i' },
    ]);
    expect(client.status).toBe('live');
  });
});
