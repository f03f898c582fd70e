import { describe, expect, it } from 'vitest';
import type { SyncStore } from '../../src/watermarks/store.js';
import { createMemoryStore } from '../../src/watermarks/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { sqlitePath, stClient, stTestBed, STREAM_A, until } from '../adapters/spacetime/client-helpers.js';
import { batchOnSubscribe, watchedClient, watchHost } from '../security/bad-input-table.js';

// A document that arrives without its body (SPEC.md A5: Khala pointer mode, a null payload, a
// Spacetime `payload_json` of "null") on a client with no hydrator (no `hydrateUrl`) used to stay
// pending for good without a word. Now (A14): `hydration_failed` (`details.reason: 'no_hydrator'`,
// not retryable) once per such update, the cursor moves on, delivery continues, the document stays
// pending; a restart reports a still-pending one again.
const bed = stTestBed();

const STORES: Array<[string, () => { store: () => SyncStore }]> = [
  ['memory', () => ({ store: () => createMemoryStore() })],
  [
    'SQLite',
    () => {
      const path = sqlitePath();
      return { store: () => createSqliteStore({ path }) };
    },
  ],
];

describe('Spacetime: a sync_event row whose payload_json is "null", no hydrator', () => {
  for (const [name, makeStore] of STORES) {
    it(`${name} store: hydration_failed (no_hydrator) once, the watermark moves on, live delivery continues`, async () => {
      const srv = await bed.start();
      srv.publish(STREAM_A, [{ payload: { n: 1 } }, { payload: null, idempotencyKey: 'no-body' }, { payload: { n: 3 } }]);
      const stores = makeStore();
      const r = bed.track(stClient(srv, { topics: [STREAM_A], store: stores.store() }));
      await r.client.connect();
      await until(() => r.client.getWatermark(STREAM_A) === 3 && r.client.status === 'live', 'past the null row');
      srv.publish(STREAM_A, [{ payload: { n: 4 } }]);
      await until(() => r.client.getWatermark(STREAM_A) === 4, 'live delivery');
      expect(r.errors.map((e) => [e.code, e.topic, e.retryable, e.details])).toEqual([
        ['hydration_failed', STREAM_A, false, { docKey: 'no-body', docVersion: 2, reason: 'no_hydrator' }],
      ]);
      expect(r.client.getDocument(STREAM_A, 'no-body')).toMatchObject({ payload: null, hydrationPending: true, docVersion: 2 });
      expect(r.client.getMetrics().hydrationFailures).toBe(1);
      await r.client.close();
      bed.forget();

      // A restart on the same store: the document is still pending, so it is reported again, once.
      if (name !== 'SQLite') return;
      const again = bed.track(stClient(srv, { topics: [STREAM_A], store: stores.store() }));
      await again.client.connect();
      await until(() => again.client.status === 'live', 'live again');
      expect(again.errors.map((e) => [e.code, e.details])).toEqual([['hydration_failed', { docKey: 'no-body', docVersion: 2, reason: 'no_hydrator' }]]);
    });
  }
});

describe('Khala: a pointer-mode update, no hydrator', () => {
  const cleanups = watchHost();
  it('hydration_failed (no_hydrator) once per update; the cursor advances; the body held stays', async () => {
    const TOPIC = 'runtime.run_summaries';
    const srv = await batchOnSubscribe(cleanups, [
      { topic: TOPIC, doc_key: 'd', doc_version: 1, payload: { v: 1 }, watermark: 1 },
      { topic: TOPIC, doc_key: 'd', doc_version: 2, payload: null, hydration_required: true, watermark: 2 },
      { topic: TOPIC, doc_key: 'e', doc_version: 1, payload: { e: 1 }, watermark: 3 },
    ]);
    const { client, errors } = watchedClient(cleanups, { url: srv.url });
    await client.connect();
    await until(() => client.getWatermark(TOPIC) === 3, 'applied past the pointer-mode update');
    await until(() => errors.length > 0, 'reported');
    expect(errors.map((e) => [e.code, e.details])).toEqual([['hydration_failed', { docKey: 'd', docVersion: 2, reason: 'no_hydrator' }]]);
    expect(client.listDocuments(TOPIC).map((d) => [d.docKey, d.docVersion, d.payload, d.hydrationPending])).toEqual([
      ['d', 2, { v: 1 }, true],
      ['e', 1, { e: 1 }, false],
    ]);
  });
});
