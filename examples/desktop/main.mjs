// An Electron main process, minus Electron: the one sync client of the app lives here (not one per
// window), persists documents and cursors to SQLite in the app's data directory, gets a fresh token
// per connection from the app's token endpoint, and hands documents to the renderers over IPC.
// Here the "renderers" are this process's parent (child_process IPC); under Electron the same calls
// are `win.webContents.send` and `ipcMain.handle` — see README.md. Output: JSON lines on stdout.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SyncClient } from 'khala-sync';
import { createSqliteStore } from 'khala-sync/sqlite';
import { httpSnapshotSource, tokenEndpoint } from 'khala-sync/http';

const base = process.env.KHALA_URL ?? 'http://127.0.0.1:4100'; // `npx khala-sync serve`
const userData = process.env.DESKTOP_USER_DATA ?? join(process.cwd(), 'desktop-data'); // app.getPath('userData')
const topics = (process.env.DESKTOP_TOPICS ?? 'runtime.run_summaries').split(',');
mkdirSync(userData, { recursive: true });

/** The IPC channel to the renderers (Electron: `for (const w of BrowserWindow.getAllWindows()) w.webContents.send(...)`). */
const renderers = { send: (channel, payload) => process.send?.({ channel, payload }) };
const line = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const client = new SyncClient({
  url: base,
  // The app's own endpoint mints sync tokens for the signed-in user; the app session goes in a header.
  token: tokenEndpoint({ url: `${base}/api/sync/token`, headers: { authorization: `Bearer ${process.env.APP_SESSION ?? 'dev-session'}` } }),
  store: createSqliteStore({ path: join(userData, 'sync.sqlite') }),
  snapshot: httpSnapshotSource({ baseUrl: `${base}/sync/snapshot` }),
  topics,
});

const publish = (topic) => renderers.send('sync:documents', { topic, documents: client.listDocuments(topic) });
// ipcMain.handle('sync:get-documents', (_e, topic) => client.listDocuments(topic)) under Electron.
process.on('message', (msg) => {
  if (msg?.channel === 'sync:get-documents') publish(msg.topic);
});
client.on('updates', ({ topic, updates, replayed }) => {
  for (const u of updates) line({ type: 'update', topic, seq: u.watermark, doc_key: u.docKey, replayed });
  publish(topic);
});
client.on('caught_up', ({ topic, watermark }) => line({ type: 'caught_up', topic, watermark: watermark ?? null }));
client.on('status', (status) => renderers.send('sync:status', { status }));
client.on('error', (e) => process.stderr.write(`[desktop] ${e.code}: ${e.message}\n`));

// app.on('before-quit'): closing flushes pending writes and closes the database.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.close().then(() => process.exit(0)));

await client.connect(); // resolves once the stored cursors and documents are loaded
line({ type: 'started', watermarks: Object.fromEntries(topics.map((t) => [t, client.getWatermark(t) ?? null])) });
for (const t of topics) publish(t); // windows show the stored documents at once, before the network answers
