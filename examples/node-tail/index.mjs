// Quick start: run `npx khala-sync serve` in one terminal and `node examples/node-tail/index.mjs` in another.
import { SyncClient } from 'khala-sync';
import { createSqliteStore } from 'khala-sync/sqlite';
import { httpSnapshotSource, tokenEndpoint } from 'khala-sync/http';

const base = process.env.KHALA_URL ?? 'http://127.0.0.1:4100'; // where `khala-sync serve` listens
const client = new SyncClient({
  url: base, // a base URL: /sync/socket/websocket is added (https → wss)
  token: tokenEndpoint({ url: `${base}/api/sync/token` }), // POSTed for a fresh token per connection
  store: createSqliteStore({ path: 'sync.sqlite' }), // documents + cursor: resumes exactly after a restart
  snapshot: httpSnapshotSource({ baseUrl: `${base}/sync/snapshot` }), // bootstrap from here when the cursor is stale
  topics: ['runtime.run_summaries'],
});
client.on('updates', ({ topic, updates }) => console.log(topic, updates.map((u) => u.watermark).join(' ')));
client.on('caught_up', ({ topic }) => console.log('live', topic));
client.on('error', (e) => console.warn(e.code, e.message)); // never throws, never shows the token
process.once('SIGINT', () => client.close().then(() => process.exit(0))); // flushes the store
await client.connect();
