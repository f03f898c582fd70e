// The web shell: two topics' live documents, connection status and replay progress, on the
// IndexedDB store and the browser's native WebSocket, against the reference server.
import { SyncClient } from 'khala-sync';
import { createIndexedDbStore } from 'khala-sync/indexeddb';
import { render, type ShellView } from './view.js';

declare const __WEB_SHELL_BUILD_ID__: string;

/** /config.json, written by the static server. */
interface ShellConfig {
  url: string;
  tokenUrl: string;
  snapshotUrl: string;
  topics: string[];
  dbName?: string;
}

/** What the drills read: `window.webShell`. */
export interface WebShellHandle {
  buildId: string;
  view(): ShellView;
  /** Watermarks applied by this page load, per topic, in order. */
  applied: Record<string, number[]>;
}

declare global {
  interface Window {
    webShell?: WebShellHandle;
  }
}

const buildId = __WEB_SHELL_BUILD_ID__;
const config = (await (await fetch('/config.json', { cache: 'no-store' })).json()) as ShellConfig;
const applied: Record<string, number[]> = Object.fromEntries(config.topics.map((t) => [t, []]));
const heads: Record<string, number> = {};

const client = new SyncClient({
  url: config.url,
  token: { url: config.tokenUrl },
  snapshotUrl: config.snapshotUrl,
  store: createIndexedDbStore({ dbName: config.dbName ?? 'khala-web-shell' }),
  topics: config.topics,
  // Heartbeats carry the server's head watermarks, which the progress bars show.
  heartbeatIntervalMs: 5_000,
});

function view(): ShellView {
  const snap = client.getSnapshot();
  return {
    buildId,
    status: snap.status,
    role: 'single',
    skew: 'none',
    banner: '',
    topics: config.topics.map((topic) => ({
      topic,
      phase: snap.topics[topic]?.phase ?? 'pending',
      watermark: client.getWatermark(topic),
      head: heads[topic],
      appliedThisLoad: applied[topic]?.length ?? 0,
      documents: client.listDocuments(topic).map((d) => ({ docKey: d.docKey, docVersion: d.docVersion, watermark: d.watermark, payload: d.payload })),
    })),
  };
}

let scheduled = false;
function refresh(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render(view());
  });
}

client.on('updates', (batch) => {
  applied[batch.topic]?.push(...batch.updates.map((u) => u.watermark));
  refresh();
});
client.on('heartbeat', (watermarks) => {
  Object.assign(heads, watermarks);
  refresh();
});
client.subscribe(refresh);
window.webShell = { buildId, view, applied };
render(view());
await client.connect();
