// Child process of close-exits.test.ts: one SyncClient (built dist/) that closes `closeAfterMs`
// after connect(), then leaves the event loop alone. The process must exit by itself: after
// close() resolves, no timer, socket or request of the client may keep it alive.
import { SyncClient } from '../../dist/index.js';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../../dist/http.js';

const [url, tokenUrl, snapshotUrl, hydrateUrl, closeAfterArg, topicsArg] = process.argv.slice(2);
const client = new SyncClient({ url, token: tokenEndpoint({ url: tokenUrl }), snapshot: httpSnapshotSource({ baseUrl: snapshotUrl }), hydrator: httpHydrator({ baseUrl: hydrateUrl }), topics: topicsArg.split(','), reconnectDelay: () => 5 });
client.on('error', () => undefined);
const statuses = [];
client.on('status', (s) => statuses.push(s));
await client.connect();
await new Promise((r) => setTimeout(r, Number(closeAfterArg)));
await client.close();
process.stdout.write(`${JSON.stringify({ statuses })}\n`);
