// A server that prunes past what it sent a live client (publish and prune between two of its drain
// ticks) must not leave the client silently missing the pruned rows: the reference server reports
// stale_cursor for the topic, and the client bootstraps from the snapshot and converges.
import { afterEach, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { httpSnapshotSource, tokenEndpoint } from '../../src/http.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { converged, publishRange, RUNS, until } from './harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a live topic pruned under its socket is bootstrapped, and every document arrives', async () => {
  const srv: ReferenceServer = await startReferenceServer({ port: 0, snapshotPageSize: 3 });
  cleanups.push(() => srv.close());
  publishRange(srv, RUNS, 30);
  const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }), topics: [RUNS] });
  cleanups.push(() => client.close());
  const stale: string[] = [];
  client.on('stale', (s) => stale.push(`${s.topic}:${s.reason}`));
  await client.connect();
  await client.whenLive();
  publishRange(srv, RUNS, 7, 7, 'late');
  srv.prune(RUNS, srv.head(RUNS) - 1);
  await until(() => converged(srv, client, RUNS) && client.getWatermark(RUNS) === srv.head(RUNS), 'converged after the prune', 5000);
  expect(stale).toEqual([`${RUNS}:retention_floor_breach`]);
  expect(client.listDocuments(RUNS).filter((d) => d.docKey.startsWith('late:'))).toHaveLength(7);
});
