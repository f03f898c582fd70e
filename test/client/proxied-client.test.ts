// Apps wrap the client in proxies: a plain `Proxy` (tracing, mocks) or a framework's deep reactive
// one (Vue's `reactive()`/`ref()`). The client's internals hold `#private` fields, which a proxy
// standing in for `this` cannot read; these tests pin that both kinds of wrapper keep working.
import { afterEach, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { converged, publishRange, RUNS, server } from './harness.js';
import { tokenEndpoint } from '../../src/http.js';

let srv: ReferenceServer | undefined;
const clients: SyncClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await srv?.close();
});

/**
 * Vue's rule: only objects whose `Object.prototype.toString` tag is `Object` (or arrays) are made
 * reactive, and every object read through a reactive one is wrapped in turn; anything else is
 * handed back as is.
 */
function deepReactive<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return value;
  return new Proxy(value, { get: (target, key, receiver) => deepReactive(Reflect.get(target, key, receiver) as unknown) });
}

async function syncThrough(wrap: (c: SyncClient) => SyncClient): Promise<void> {
  srv = await server();
  publishRange(srv, RUNS, 20, 5);
  const raw = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [RUNS], autoConnect: false });
  clients.push(raw);
  const client = wrap(raw);
  const errors: string[] = [];
  client.on('error', (e) => errors.push(e.code));
  await client.connect();
  await client.whenLive();
  publishRange(srv, RUNS, 3, 5, 'late');
  await client.whenLive();
  await expect.poll(() => converged(srv!, raw, RUNS)).toBe(true);
  expect(client.listDocuments(RUNS)).toHaveLength(8);
  expect(client.status).toBe('live');
  await client.close();
  expect(client.status).toBe('closed');
  expect(errors).toEqual([]);
}

describe('a client behind a proxy', () => {
  it('a plain Proxy: connect, sync, read and close through it', async () => {
    await syncThrough((c) => new Proxy(c, {}));
  });

  it("a deep reactive proxy (Vue's rule) hands the client back as is: its tag is SyncClient", async () => {
    await syncThrough((c) => {
      expect(Object.prototype.toString.call(c)).toBe('[object SyncClient]');
      const wrapped = deepReactive({ client: c }).client;
      expect(wrapped).toBe(c);
      return wrapped;
    });
  });
});
