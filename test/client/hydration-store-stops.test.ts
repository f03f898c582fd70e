import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/watermarks/index.js';
import { batchOnSubscribe, watchedClient, watchHost } from '../security/bad-input-table.js';
import { until } from './harness.js';

// A pointer-mode body fetched for a store that was closed meanwhile can never be stored: retrying
// it (5 attempts, an error each) only repeated the store's error and then left the document
// pending. Like a batch commit into such a store (SPEC.md C5), it stops the client: one
// non-retryable store_failed (details.reason 'closed'), status closed, no retry, no reconnect.
describe('hydration into a store that cannot go on', () => {
  const cleanups = watchHost();
  it('the store closed while the body was fetched: the client stops once, no retries', async () => {
    const TOPIC = 'runtime.run_summaries';
    const srv = await batchOnSubscribe(cleanups, [
      { topic: TOPIC, doc_key: 'd', doc_version: 1, payload: { v: 1 }, watermark: 1 },
      { topic: TOPIC, doc_key: 'd', doc_version: 2, payload: null, hydration_required: true, watermark: 2 },
    ]);
    const store = createMemoryStore();
    let fetches = 0;
    const { client, errors } = watchedClient(cleanups, {
      url: srv.url,
      store,
      hydrator: async (_topic, docKey) => {
        fetches++;
        await store.close();
        return { docKey, docVersion: 2, payload: { v: 2 }, payloadHash: null };
      },
    });
    const statuses: Array<[string, string | undefined]> = [];
    client.on('status', (status, reason) => statuses.push([status, reason]));
    await client.connect();
    await until(() => client.status === 'closed', 'the client stops', 3000);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // a retry (500 ms, then 1 s) would show here
    expect(fetches).toBe(1);
    expect(errors.map((e) => [e.code, e.retryable, e.details?.['reason']])).toEqual([['store_failed', false, 'closed']]);
    expect(statuses.at(-1)).toEqual(['closed', 'store_failed']);
    expect(srv.accepted).toBe(1);
  });
});
